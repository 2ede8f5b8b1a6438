"""Documents' SQL: what a statement lists, and the mailing record of invoices."""

from datetime import date
from uuid import UUID

from sqlalchemy import Date, cast, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tenant_api.models import (
    Customer,
    Invoice,
    InvoiceMailing,
    IssuedInvoiceNumbers,
    Payment,
    PaymentRefund,
)

COUNTED = ("issued", "partially_paid", "paid")
"""Invoice statuses a statement counts: issued ones not voided."""


async def customer(session: AsyncSession, customer_id: UUID) -> Customer | None:
    return await session.get(Customer, customer_id)


async def invoice_number(session: AsyncSession, invoice_id: UUID | None) -> str | None:
    if invoice_id is None:
        return None
    return await session.scalar(select(Invoice.number).where(Invoice.id == invoice_id))


async def entries_until(
    session: AsyncSession, customer_id: UUID, until: date
) -> list[tuple[date, str, UUID, str | None, str | None, int]]:
    """Every invoice, credit note, payment and refund of the customer up to `until`
    (inclusive): (day, kind, id, number or reference, method or memo, amount)."""
    documents = await session.execute(
        select(
            Invoice.issued_on, Invoice.kind, Invoice.id, Invoice.number, Invoice.memo, Invoice.total
        ).where(
            Invoice.customer_id == customer_id,
            Invoice.status.in_(COUNTED),
            Invoice.issued_on <= until,
        )
    )
    payments = await session.execute(
        select(
            Payment.received_on, Payment.id, Payment.reference, Payment.method, Payment.amount
        ).where(Payment.customer_id == customer_id, Payment.received_on <= until)
    )
    refunded_on = cast(PaymentRefund.created_at, Date)
    refunds = await session.execute(
        select(refunded_on, PaymentRefund.id, PaymentRefund.reason, PaymentRefund.amount).where(
            PaymentRefund.customer_id == customer_id, refunded_on <= until
        )
    )
    rows: list[tuple[date, str, UUID, str | None, str | None, int]] = [
        (on, kind, id_, number, memo, total)
        for on, kind, id_, number, memo, total in documents
        if on is not None
    ]
    rows += [
        (on, "payment", id_, reference, method, amount)
        for on, id_, reference, method, amount in payments
    ]
    rows += [(on, "refund", id_, None, reason, amount) for on, id_, reason, amount in refunds]
    return rows


async def pending_tenants(session: AsyncSession, limit: int) -> list[UUID]:
    """ISPs with issued invoices still to mail."""
    found = await session.execute(
        select(IssuedInvoiceNumbers.tenant_id)
        .where(IssuedInvoiceNumbers.next_number <= IssuedInvoiceNumbers.last_number)
        .group_by(IssuedInvoiceNumbers.tenant_id)
        .limit(limit)
    )
    return list(found.scalars())


async def claim_blocks(
    session: AsyncSession, tenant_id: UUID, limit: int
) -> list[IssuedInvoiceNumbers]:
    """The ISP's numbers still to mail, locked (SKIP LOCKED: another mailer passes them by)."""
    found = await session.execute(
        select(IssuedInvoiceNumbers)
        .where(
            IssuedInvoiceNumbers.tenant_id == tenant_id,
            IssuedInvoiceNumbers.next_number <= IssuedInvoiceNumbers.last_number,
        )
        .order_by(IssuedInvoiceNumbers.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(found.scalars())


async def numbered(session: AsyncSession, first: int, last: int, limit: int) -> list[Invoice]:
    found = await session.execute(
        select(Invoice)
        .where(Invoice.sequence_number >= first, Invoice.sequence_number <= last)
        .order_by(Invoice.sequence_number)
        .limit(limit)
    )
    return list(found.scalars())


async def first_mailing(session: AsyncSession, mailing: InvoiceMailing) -> bool:
    """Record the mailing of an invoice as issued, unless it was recorded already: whether
    this is the first."""
    made = await session.scalar(
        insert(InvoiceMailing)
        .values(
            tenant_id=mailing.tenant_id,
            invoice_id=mailing.invoice_id,
            reason="issued",
            to_address=mailing.to_address,
            queued_at=mailing.queued_at,
            done_at=mailing.done_at,
            outcome=mailing.outcome,
        )
        .on_conflict_do_nothing(
            index_elements=["invoice_id"], index_where=text("reason = 'issued'")
        )
        .returning(InvoiceMailing.id)
    )
    return made is not None


async def mailing_by_key(session: AsyncSession, tenant_id: UUID, key: str) -> InvoiceMailing | None:
    return await session.scalar(
        select(InvoiceMailing).where(
            InvoiceMailing.tenant_id == tenant_id, InvoiceMailing.idempotency_key == key
        )
    )


async def mailings_of(session: AsyncSession, invoice_id: UUID) -> list[InvoiceMailing]:
    found = await session.execute(
        select(InvoiceMailing)
        .where(InvoiceMailing.invoice_id == invoice_id)
        .order_by(InvoiceMailing.id)
    )
    return list(found.scalars())


async def set_outcome(
    session: AsyncSession, invoice_id: UUID, outcome: str, address: str | None
) -> None:
    await session.execute(
        update(InvoiceMailing)
        .where(InvoiceMailing.invoice_id == invoice_id, InvoiceMailing.reason == "issued")
        .values(outcome=outcome, to_address=address)
    )
