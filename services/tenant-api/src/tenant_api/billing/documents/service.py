"""Invoices and statements as documents: filled from the database, drawn as PDFs (on a worker
thread: a page takes tens of milliseconds of CPU)."""

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.problems import NotFound, UnprocessableContent
from tenant_api.billing.branding import repository as branding_repository
from tenant_api.billing.branding import service as branding
from tenant_api.billing.documents import layout, pdf, repository
from tenant_api.billing.documents.schemas import (
    EntryKind,
    Statement,
    StatementEntry,
    StatementRow,
)
from tenant_api.billing.invoices import repository as invoices
from tenant_api.billing.invoices import service as invoice_service
from tenant_api.billing.settings import repository as settings
from tenant_api.models import Customer, Invoice, InvoiceLine

ORDER = {EntryKind.INVOICE: 0, EntryKind.REFUND: 1, EntryKind.CREDIT_NOTE: 2, EntryKind.PAYMENT: 3}
"""On one day: what is owed first, then what settles it."""
METHODS = {"cash": "Cash", "bank_transfer": "Bank transfer", "card": "Card", "other": "Payment"}


@dataclass(frozen=True)
class Rendered:
    filename: str
    content: bytes


async def brand_of(session: AsyncSession, tenant_id: UUID, *, white_label: bool) -> layout.Brand:
    found = await branding_repository.get(session)
    name = await branding_repository.tenant_name(session, tenant_id)
    return branding.brand(found, name, white_label=white_label)


def party(customer: Customer) -> layout.Party:
    address = customer.contact_address or customer.service_address or {}
    lines = [
        address.get("line1"),
        address.get("line2"),
        " ".join(p for p in (address.get("postal_code"), address.get("city")) if p),
        ", ".join(p for p in (address.get("region"), address.get("country")) if p),
    ]
    return layout.Party(
        name=customer.name,
        account_number=customer.account_number,
        address=tuple(line for line in lines if line),
        email=customer.email,
    )


def taxes(lines: list[InvoiceLine]) -> tuple[layout.TaxBand, ...]:
    """The tax of the lines at each rate, highest rate first."""
    bands: dict[tuple[int, bool], list[int]] = defaultdict(lambda: [0, 0])
    for line in lines:
        if line.tax_basis_points:
            band = bands[(line.tax_basis_points, line.tax_inclusive)]
            band[0] += line.net
            band[1] += line.tax
    return tuple(
        layout.TaxBand(
            label=layout.percent(rate) + (" (included)" if inclusive else ""),
            base=base,
            tax=tax,
        )
        for (rate, inclusive), (base, tax) in sorted(bands.items(), reverse=True)
    )


def terms(invoice: Invoice, credited: str | None, balance_due: int) -> str:
    if invoice.status == "draft":
        return "Draft: not issued, and not a request for payment."
    if invoice.status == "void":
        return f"Void: this invoice was cancelled ({invoice.void_reason}); nothing is due on it."
    if invoice.kind == "credit_note":
        return f"This credit note reduces the amount due on invoice {credited}."
    if balance_due <= 0:
        return "Paid in full. Thank you."
    assert invoice.due_on is not None and invoice.issued_on is not None
    days = (invoice.due_on - invoice.issued_on).days
    within = "on receipt" if days == 0 else f"within {days} days of the invoice date"
    return (
        f"Payment terms: due {within}, by {invoice.due_on:%d %b %Y}. Please quote "
        f"{invoice.number} with your payment."
    )


async def invoice_document(
    session: AsyncSession, tenant_id: UUID, invoice_id: UUID, *, white_label: bool
) -> tuple[Invoice, layout.InvoiceDocument, layout.Brand, layout.Party]:
    invoice = await invoice_service.get_invoice(session, invoice_id)
    lines = await invoices.lines(session, invoice.id)
    customer = await repository.customer(session, invoice.customer_id)
    assert customer is not None, "an invoice's customer goes with it"
    credited = await repository.invoice_number(session, invoice.credited_invoice_id)
    due = invoice_service.balance_due(invoice)
    period = (
        (invoice.period_start, invoice.period_end - timedelta(days=1))
        if invoice.period_start and invoice.period_end
        else None
    )
    document = layout.InvoiceDocument(
        title="Credit note" if invoice.kind == "credit_note" else "Invoice",
        number=invoice.number,
        status=invoice.status,
        currency=invoice.currency,
        issued_on=invoice.issued_on,
        due_on=invoice.due_on if invoice.kind == "invoice" else None,
        period=period,
        refers_to=credited,
        memo=invoice.memo,
        lines=tuple(
            layout.Line(
                description=line.description,
                quantity=line.quantity,
                unit_amount=line.unit_amount,
                discount=line.discount,
                tax_basis_points=line.tax_basis_points,
                total=line.total,
            )
            for line in lines
        ),
        subtotal=invoice.subtotal,
        discount_total=invoice.discount_total,
        taxes=taxes(lines),
        total=invoice.total,
        amount_paid=invoice.amount_paid,
        amount_credited=invoice.amount_credited,
        balance_due=due,
        terms=terms(invoice, credited, due),
    )
    brand = await brand_of(session, tenant_id, white_label=white_label)
    return invoice, document, brand, party(customer)


def filename(invoice: Invoice) -> str:
    kind = "credit-note" if invoice.kind == "credit_note" else "invoice"
    return f"{kind}-{invoice.number or f'draft-{invoice.id}'}.pdf"


async def invoice_pdf(
    session: AsyncSession, tenant_id: UUID, invoice_id: UUID, *, white_label: bool
) -> Rendered:
    invoice, document, brand, customer = await invoice_document(
        session, tenant_id, invoice_id, white_label=white_label
    )
    content = await asyncio.to_thread(pdf.invoice_pdf, document, brand, customer)
    return Rendered(filename(invoice), content)


async def statement(
    session: AsyncSession,
    tenant_id: UUID,
    customer_id: UUID,
    *,
    date_from: date | None,
    date_to: date,
) -> Statement:
    """The customer's account from `date_from` to `date_to` (inclusive): the balance before,
    each entry with the balance after it, and the balance at the end."""
    if date_from is not None and date_from > date_to:
        raise UnprocessableContent("`from` is after `to`.", field="from")
    customer = await repository.customer(session, customer_id)
    if customer is None:
        raise NotFound(f"No customer {customer_id} at this ISP.")
    current = await settings.settings(session)
    currency = current.currency if current else "USD"
    rows = await repository.entries_until(session, customer_id, date_to)
    entries: list[tuple[date, EntryKind, UUID, str, str, int, int]] = []
    for on, kind, id_, reference, note, amount in rows:
        entry = EntryKind(kind)
        if entry == EntryKind.INVOICE:
            entries.append((on, entry, id_, reference or "", note or "Invoice", amount, 0))
        elif entry == EntryKind.CREDIT_NOTE:
            entries.append((on, entry, id_, reference or "", note or "Credit note", 0, amount))
        elif entry == EntryKind.PAYMENT:
            described = METHODS.get(note or "", "Payment")
            entries.append((on, entry, id_, reference or "", described, 0, amount))
        else:
            entries.append((on, entry, id_, "", note or "Refund", amount, 0))
    entries.sort(key=lambda e: (e[0], ORDER[e[1]], e[3], str(e[2])))
    opening = sum(d - c for on, *_, d, c in entries if date_from and on < date_from)
    balance = opening
    shown = []
    for on, entry, id_, reference, described, debit, credit in entries:
        if date_from and on < date_from:
            continue
        balance += debit - credit
        shown.append(
            StatementEntry(
                on=on,
                kind=entry,
                id=id_,
                reference=reference,
                description=described,
                debit=debit,
                credit=credit,
                balance=balance,
            )
        )
    return Statement(
        customer_id=customer.id,
        account_number=customer.account_number,
        name=customer.name,
        currency=currency,
        date_from=date_from,
        date_to=date_to,
        opening_balance=opening,
        closing_balance=balance,
        entries=shown,
    )


async def statement_pdf(
    session: AsyncSession, tenant_id: UUID, found: Statement, *, white_label: bool
) -> Rendered:
    customer = await repository.customer(session, found.customer_id)
    assert customer is not None
    document = layout.StatementDocument(
        currency=found.currency,
        date_from=found.date_from,
        date_to=found.date_to,
        opening_balance=found.opening_balance,
        closing_balance=found.closing_balance,
        entries=tuple(
            layout.StatementEntry(
                on=e.on,
                kind=e.kind.value,
                reference=" ".join(p for p in (e.description, e.reference) if p),
                description=e.description,
                debit=e.debit,
                credit=e.credit,
                balance=e.balance,
            )
            for e in found.entries
        ),
    )
    brand = await brand_of(session, tenant_id, white_label=white_label)
    content = await asyncio.to_thread(pdf.statement_pdf, document, brand, party(customer))
    return Rendered(f"statement-{found.account_number}-{found.date_to}.pdf", content)


def statement_rows(found: Statement) -> list[StatementRow]:
    """The statement as the rows of its CSV: the opening balance, each entry, the closing."""
    edge = {"reference": "", "debit": 0, "credit": 0}
    return [
        StatementRow(
            on=found.date_from,
            kind="opening_balance",
            description="Opening balance",
            balance=found.opening_balance,
            **edge,
        ),
        *(StatementRow.model_validate(e.model_dump(exclude={"id"})) for e in found.entries),
        StatementRow(
            on=found.date_to,
            kind="closing_balance",
            description="Closing balance",
            balance=found.closing_balance,
            **edge,
        ),
    ]
