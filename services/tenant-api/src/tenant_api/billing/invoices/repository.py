"""Invoices' SQL: invoices and credit notes with their lines, and payments."""

from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenant_api.billing.invoices.schemas import InvoiceKind, InvoiceStatus
from tenant_api.models import CustomerBilling, Invoice, InvoiceLine, Payment

OPEN = ("issued", "partially_paid")
"""Stored statuses with a balance to pay."""


async def get(session: AsyncSession, invoice_id: UUID, *, lock: bool = False) -> Invoice | None:
    if lock:
        return await session.scalar(
            select(Invoice).where(Invoice.id == invoice_id).with_for_update()
        )
    return await session.get(Invoice, invoice_id)


async def by_idempotency_key(session: AsyncSession, key: str) -> Invoice | None:
    return await session.scalar(select(Invoice).where(Invoice.idempotency_key == key))


async def payment_by_idempotency_key(session: AsyncSession, key: str) -> Payment | None:
    return await session.scalar(select(Payment).where(Payment.idempotency_key == key))


async def lines(session: AsyncSession, invoice_id: UUID) -> list[InvoiceLine]:
    found = await session.execute(
        select(InvoiceLine)
        .where(InvoiceLine.invoice_id == invoice_id)
        .order_by(InvoiceLine.position)
    )
    return list(found.scalars())


async def credited_so_far(session: AsyncSession, line_ids: list[UUID]) -> dict[UUID, int]:
    """How much of each line's amount earlier credit notes (not void) credited."""
    credit = select(Invoice.id).where(Invoice.status != InvoiceStatus.VOID.value)
    found = await session.execute(
        select(
            InvoiceLine.credited_line_id,
            func.sum(InvoiceLine.quantity * InvoiceLine.unit_amount - InvoiceLine.discount),
        )
        .where(InvoiceLine.credited_line_id.in_(line_ids), InvoiceLine.invoice_id.in_(credit))
        .group_by(InvoiceLine.credited_line_id)
    )
    return {line_id: int(total) for line_id, total in found.all() if line_id is not None}


async def customer_tax_rate(session: AsyncSession, customer_id: UUID) -> UUID | None:
    return await session.scalar(
        select(CustomerBilling.tax_rate_id).where(CustomerBilling.customer_id == customer_id)
    )


def search(
    *,
    today: date,
    status: InvoiceStatus | None = None,
    kind: InvoiceKind | None = None,
    customer_id: UUID | None = None,
    bill_run_id: UUID | None = None,
    period_start: date | None = None,
    issued_from: date | None = None,
    issued_to: date | None = None,
) -> Select[Any]:
    """The invoices matching every filter given, newest first. `overdue` is read, not stored:
    open (issued or partly paid) and due before `today`."""
    query = select(Invoice)
    overdue = and_(Invoice.status.in_(OPEN), Invoice.due_on < today)
    if status == InvoiceStatus.OVERDUE:
        query = query.where(overdue)
    elif status in (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID):
        query = query.where(
            Invoice.status == status.value, or_(Invoice.due_on.is_(None), Invoice.due_on >= today)
        )
    elif status is not None:
        query = query.where(Invoice.status == status.value)
    if kind:
        query = query.where(Invoice.kind == kind.value)
    if customer_id:
        query = query.where(Invoice.customer_id == customer_id)
    if bill_run_id:
        query = query.where(Invoice.bill_run_id == bill_run_id)
    if period_start:
        query = query.where(Invoice.period_start == period_start)
    if issued_from:
        query = query.where(Invoice.issued_on >= issued_from)
    if issued_to:
        query = query.where(Invoice.issued_on <= issued_to)
    return query.order_by(Invoice.created_at.desc(), Invoice.sequence_number.desc(), Invoice.id)
