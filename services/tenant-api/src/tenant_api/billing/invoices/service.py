"""Invoices: made as drafts or issued at once; issued ones get the next number of the ISP's
gapless sequence and a due date; payments and credit notes settle them; a void one keeps its
number (so the sequence stays without gaps) and counts for nothing."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.problems import Conflict, NotFound, TransitionRefused, UnprocessableContent
from tenant_api.billing.invoices import repository
from tenant_api.billing.invoices.schemas import (
    CreditNoteCreate,
    InvoiceCreate,
    InvoiceKind,
    InvoiceStatus,
    LineCreate,
    PaymentCreate,
)
from tenant_api.billing.money import taxed
from tenant_api.billing.payments.ledger import apply_credit, settle
from tenant_api.billing.repository import customer_status
from tenant_api.billing.settings import repository as settings_repository
from tenant_api.billing.settings import service as settings
from tenant_api.models import Invoice, InvoiceLine, Payment, PaymentAllocation

search = repository.search
lines_of = repository.lines


@dataclass(frozen=True)
class Actor:
    tenant_id: UUID
    by: str
    now: datetime


def status_on(invoice: Invoice, today: date) -> InvoiceStatus:
    """The invoice's status as a person reads it: open and past due is overdue."""
    if (
        invoice.status in repository.OPEN
        and invoice.due_on is not None
        and invoice.due_on < today
        and balance_due(invoice) > 0
    ):
        return InvoiceStatus.OVERDUE
    return InvoiceStatus(invoice.status)


def balance_due(invoice: Invoice) -> int:
    if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID) or (
        invoice.kind == InvoiceKind.CREDIT_NOTE
    ):
        return 0
    return invoice.total - invoice.amount_paid - invoice.amount_credited


async def get_invoice(session: AsyncSession, invoice_id: UUID, *, lock: bool = False) -> Invoice:
    invoice = await repository.get(session, invoice_id, lock=lock)
    if invoice is None:
        raise NotFound(f"No invoice {invoice_id} at this ISP.")
    return invoice


async def create_invoice(
    session: AsyncSession, actor: Actor, spec: InvoiceCreate, idempotency_key: str | None
) -> Invoice:
    if idempotency_key is not None:
        earlier = await repository.by_idempotency_key(session, idempotency_key)
        if earlier is not None:
            if earlier.customer_id != spec.customer_id:
                raise Conflict(
                    "This Idempotency-Key was used for an invoice to another customer.",
                    invoice_id=earlier.id,
                )
            return earlier  # the same request again (its answer was lost)
    if await customer_status(session, spec.customer_id) is None:
        raise UnprocessableContent(
            f"No customer {spec.customer_id} at this ISP to invoice.", field="customer_id"
        )
    current = await settings.current(session, actor.tenant_id, actor.now)
    own_rate = await repository.customer_tax_rate(session, spec.customer_id)
    invoice = Invoice(
        id=uuid.uuid4(),
        tenant_id=actor.tenant_id,
        customer_id=spec.customer_id,
        kind=InvoiceKind.INVOICE.value,
        status=InvoiceStatus.DRAFT.value,
        currency=current.currency,
        memo=spec.memo,
        idempotency_key=idempotency_key,
        amount_paid=0,
        amount_credited=0,
        created_by=actor.by,
        created_at=actor.now,
        updated_at=actor.now,
    )
    made = []
    for position, line in enumerate(spec.lines, start=1):
        rate_id = line.tax_rate_id or own_rate or current.tax_rate_id
        rate = await settings.tax_rate(session, rate_id) if rate_id else None
        made.append(
            _line(
                actor.tenant_id,
                invoice.id,
                position,
                line,
                basis_points=rate.basis_points if rate else 0,
                inclusive=rate.inclusive if rate else False,
            )
        )
    _total(invoice, made)
    session.add(invoice)
    try:
        await session.flush()
    except IntegrityError:  # the same Idempotency-Key, sent twice at once
        raise Conflict("An invoice with this Idempotency-Key is being made.") from None
    session.add_all(made)
    await session.flush()
    if spec.issue:
        await _issue(session, [invoice], actor, current.payment_terms_days)
    return invoice


async def issue(session: AsyncSession, actor: Actor, invoice_id: UUID) -> Invoice:
    invoice = await get_invoice(session, invoice_id, lock=True)
    if invoice.status != InvoiceStatus.DRAFT:
        raise TransitionRefused(
            f"Invoice {invoice.number} is {invoice.status}: only a draft can be issued.",
            current=invoice.status,
        )
    current = await settings.current(session, actor.tenant_id, actor.now)
    await _issue(session, [invoice], actor, current.payment_terms_days)
    return invoice


async def _issue(
    session: AsyncSession, invoices: list[Invoice], actor: Actor, terms_days: int
) -> None:
    first, prefix = await settings_repository.take_invoice_numbers(session, len(invoices))
    today = actor.now.date()
    for offset, invoice in enumerate(invoices):
        invoice.sequence_number = first + offset
        invoice.number = settings_repository.invoice_number(prefix, first + offset)
        invoice.status = InvoiceStatus.ISSUED.value
        invoice.issued_on = today
        if invoice.kind == InvoiceKind.INVOICE:
            invoice.due_on = today + timedelta(days=terms_days)
            if invoice.total == 0:
                invoice.status = InvoiceStatus.PAID.value
        invoice.updated_at = actor.now
    await session.flush()
    # The customer's credit (overpayments) pays what was just issued.
    owing = [
        i.customer_id
        for i in invoices
        if i.kind == InvoiceKind.INVOICE and i.status in repository.OPEN
    ]
    await apply_credit(session, owing, actor.now)


async def void(session: AsyncSession, actor: Actor, invoice_id: UUID, reason: str) -> Invoice:
    """A draft, or an issued invoice nothing was paid or credited on, counts for nothing; an
    issued one keeps its number."""
    invoice = await get_invoice(session, invoice_id, lock=True)
    if invoice.status == InvoiceStatus.VOID:
        return invoice
    if invoice.amount_paid or invoice.amount_credited or invoice.status == InvoiceStatus.PAID:
        raise TransitionRefused(
            "Payments or credit notes settle part of this invoice: credit the rest instead.",
            current=invoice.status,
        )
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        raise TransitionRefused("A credit note stays: issue an invoice to reverse it.")
    invoice.status, invoice.void_reason, invoice.updated_at = "void", reason, actor.now
    await session.flush()
    return invoice


async def credit(
    session: AsyncSession, actor: Actor, invoice_id: UUID, spec: CreditNoteCreate
) -> Invoice:
    """A credit note against an issued invoice, of some of its lines or all that is left of
    them, no more than its balance: the invoice's balance goes down by the note's total."""
    invoice = await get_invoice(session, invoice_id, lock=True)
    if invoice.kind != InvoiceKind.INVOICE or invoice.status not in repository.OPEN:
        raise TransitionRefused(
            f"Invoice is {invoice.status}: only an issued invoice with a balance can be credited.",
            current=invoice.status,
        )
    originals = {line.id: line for line in await repository.lines(session, invoice.id)}
    credited = await repository.credited_so_far(session, list(originals))
    left = {i: _amount(line) - credited.get(i, 0) for i, line in originals.items()}
    wanted = (
        {c.line_id: c.amount for c in spec.lines}
        if spec.lines is not None
        else {i: amount for i, amount in left.items() if amount > 0}
    )
    note = Invoice(
        id=uuid.uuid4(),
        tenant_id=actor.tenant_id,
        customer_id=invoice.customer_id,
        kind=InvoiceKind.CREDIT_NOTE.value,
        status=InvoiceStatus.DRAFT.value,
        currency=invoice.currency,
        credited_invoice_id=invoice.id,
        memo=spec.reason,
        amount_paid=0,
        amount_credited=0,
        created_by=actor.by,
        created_at=actor.now,
        updated_at=actor.now,
    )
    made = []
    for position, (line_id, amount) in enumerate(wanted.items(), start=1):
        original = originals.get(line_id)
        if original is None:
            raise UnprocessableContent(f"Line {line_id} is not on this invoice.", field="lines")
        if amount > left[line_id]:
            raise Conflict(
                f"Only {left[line_id]} of line {original.position} is left to credit.",
                line_id=line_id,
            )
        spec_line = LineCreate(
            description=f"Credit: {original.description}"[:300], unit_amount=amount
        )
        made.append(
            _line(
                actor.tenant_id,
                note.id,
                position,
                spec_line,
                basis_points=original.tax_basis_points,
                inclusive=original.tax_inclusive,
                credits=original.id,
            )
        )
    if not made or all(line.total == 0 for line in made):
        raise Conflict("Nothing is left to credit on this invoice.")
    _total(note, made)
    if note.total > balance_due(invoice):
        raise Conflict(
            f"The credit ({note.total}) is more than the balance due ({balance_due(invoice)}).",
            balance_due=balance_due(invoice),
        )
    session.add(note)
    await session.flush()
    session.add_all(made)
    await session.flush()
    await _issue(session, [note], actor, 0)
    invoice.amount_credited += note.total
    settle(invoice, actor.now)
    await session.flush()
    return note


async def record_payment(
    session: AsyncSession,
    actor: Actor,
    invoice_id: UUID,
    spec: PaymentCreate,
    idempotency_key: str | None,
) -> tuple[Payment, Invoice]:
    invoice = await get_invoice(session, invoice_id, lock=True)
    if idempotency_key is not None:
        earlier = await repository.payment_by_idempotency_key(session, idempotency_key)
        if earlier is not None:
            if earlier.invoice_id != invoice_id or earlier.amount != spec.amount:
                raise Conflict(
                    "This Idempotency-Key was used for another payment.", payment_id=earlier.id
                )
            return earlier, invoice
    if invoice.kind != InvoiceKind.INVOICE or invoice.status not in repository.OPEN:
        raise TransitionRefused(
            f"Invoice is {invoice.status}: payments go to issued invoices with a balance.",
            current=invoice.status,
        )
    if spec.amount > balance_due(invoice):
        raise Conflict(
            f"The payment is more than the balance due ({balance_due(invoice)}).",
            balance_due=balance_due(invoice),
        )
    payment = Payment(
        id=uuid.uuid4(),
        tenant_id=actor.tenant_id,
        invoice_id=invoice.id,
        customer_id=invoice.customer_id,
        amount=spec.amount,
        currency=invoice.currency,
        method=spec.method.value,
        received_on=spec.received_on or actor.now.date(),
        reference=spec.reference,
        idempotency_key=idempotency_key,
        created_by=actor.by,
        created_at=actor.now,
    )
    session.add(payment)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict("A payment with this Idempotency-Key is being recorded.") from None
    session.add(
        PaymentAllocation(
            id=uuid.uuid4(),
            tenant_id=actor.tenant_id,
            payment_id=payment.id,
            invoice_id=invoice.id,
            amount=spec.amount,
            created_at=actor.now,
        )
    )
    invoice.amount_paid += spec.amount
    settle(invoice, actor.now)
    await session.flush()
    return payment, invoice


def _amount(line: InvoiceLine) -> int:
    return line.quantity * line.unit_amount - line.discount


def _line(
    tenant_id: UUID,
    invoice_id: UUID,
    position: int,
    spec: LineCreate,
    *,
    basis_points: int,
    inclusive: bool,
    credits: UUID | None = None,
) -> InvoiceLine:
    amount = spec.quantity * spec.unit_amount - spec.discount
    tax = taxed(amount, basis_points, inclusive=inclusive)
    return InvoiceLine(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        invoice_id=invoice_id,
        position=position,
        kind="credit" if credits else "manual",
        description=spec.description,
        quantity=spec.quantity,
        unit_amount=spec.unit_amount,
        discount=spec.discount,
        tax_basis_points=basis_points,
        tax_inclusive=inclusive,
        net=tax.net,
        tax=tax.tax,
        total=tax.total,
        credited_line_id=credits,
    )


def _total(invoice: Invoice, lines: list[InvoiceLine]) -> None:
    invoice.subtotal = sum(line.net for line in lines)
    invoice.discount_total = sum(line.discount for line in lines)
    invoice.tax_total = sum(line.tax for line in lines)
    invoice.total = invoice.subtotal + invoice.tax_total
