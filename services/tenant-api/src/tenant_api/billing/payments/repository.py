"""Payments' SQL: payments, their allocations and refunds, customers' open invoices and credit,
and the ISP's Stripe account."""

from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import Select, case, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tenant_api.billing.invoices.repository import OPEN
from tenant_api.billing.settings.repository import DEFAULTS
from tenant_api.models import (
    BillingSettings,
    Invoice,
    Payment,
    PaymentAllocation,
    PaymentRefund,
    StripeAccount,
)


async def lock_customer(session: AsyncSession, customer_id: UUID) -> None:
    """Hold the customer's account until the transaction ends: payments, refunds and the
    credit taken by new invoices change its allocations one at a time."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"billing-account:{customer_id}"},
    )


async def open_invoices(session: AsyncSession, customer_id: UUID) -> list[Invoice]:
    """The customer's invoices with a balance, the oldest first (by due date, then number),
    locked."""
    found = await session.execute(
        select(Invoice)
        .where(
            Invoice.customer_id == customer_id,
            Invoice.kind == "invoice",
            Invoice.status.in_(OPEN),
        )
        .order_by(
            Invoice.due_on.asc().nulls_last(),
            Invoice.sequence_number.asc().nulls_last(),
            Invoice.id,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(found.scalars())


def _allocated() -> Any:
    return (
        select(func.coalesce(func.sum(PaymentAllocation.amount), 0))
        .where(PaymentAllocation.payment_id == Payment.id)
        .correlate(Payment)
        .scalar_subquery()
    )


def unallocated_column() -> Any:
    """A payment's part neither allocated to an invoice nor refunded: the customer's credit."""
    return Payment.amount - Payment.amount_refunded - _allocated()


async def payments_with_credit(
    session: AsyncSession, customer_id: UUID
) -> list[tuple[Payment, int]]:
    """The customer's payments with an unallocated part, the oldest first, with that part."""
    left = unallocated_column()
    found = await session.execute(
        select(Payment, left)
        .where(Payment.customer_id == customer_id, left > 0)
        .order_by(Payment.received_on, Payment.created_at, Payment.id)
        .execution_options(populate_existing=True)
    )
    return [(payment, int(amount)) for payment, amount in found.all()]


async def customers_with_credit(session: AsyncSession, customer_ids: list[UUID]) -> list[UUID]:
    if not customer_ids:
        return []
    found = await session.execute(
        select(Payment.customer_id)
        .where(Payment.customer_id.in_(customer_ids), unallocated_column() > 0)
        .distinct()
        .order_by(Payment.customer_id)
    )
    return list(found.scalars())


async def customers_of_run(session: AsyncSession, run_id: UUID) -> list[UUID]:
    found = await session.execute(
        select(Invoice.customer_id).where(Invoice.bill_run_id == run_id).distinct()
    )
    return list(found.scalars())


async def credit_of(session: AsyncSession, customer_id: UUID) -> int:
    found = await session.scalar(
        select(func.coalesce(func.sum(unallocated_column()), 0)).where(
            Payment.customer_id == customer_id
        )
    )
    return int(found or 0)


async def owed_of(session: AsyncSession, customer_id: UUID, today: date) -> tuple[int, int]:
    """What the customer owes on open invoices: in all, and of it what is past due."""
    balance = Invoice.total - Invoice.amount_paid - Invoice.amount_credited
    found = await session.execute(
        select(
            func.coalesce(func.sum(balance), 0),
            func.coalesce(func.sum(balance).filter(Invoice.due_on < today), 0),
        ).where(
            Invoice.customer_id == customer_id,
            Invoice.kind == "invoice",
            Invoice.status.in_(OPEN),
        )
    )
    total, overdue = found.one()
    return int(total), int(overdue)


async def get(session: AsyncSession, payment_id: UUID, *, lock: bool = False) -> Payment | None:
    query = select(Payment).where(Payment.id == payment_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def by_idempotency_key(session: AsyncSession, key: str) -> Payment | None:
    return await session.scalar(select(Payment).where(Payment.idempotency_key == key))


async def refund_by_idempotency_key(session: AsyncSession, key: str) -> PaymentRefund | None:
    return await session.scalar(select(PaymentRefund).where(PaymentRefund.idempotency_key == key))


async def allocated_of(session: AsyncSession, payment_id: UUID) -> int:
    found = await session.scalar(
        select(func.coalesce(func.sum(PaymentAllocation.amount), 0)).where(
            PaymentAllocation.payment_id == payment_id
        )
    )
    return int(found or 0)


async def holdings(session: AsyncSession, payment_id: UUID) -> list[tuple[UUID, int]]:
    """What the payment holds on each invoice (its allocations less what refunds took back),
    the most recently paid invoice first."""
    held = func.sum(PaymentAllocation.amount)
    found = await session.execute(
        select(PaymentAllocation.invoice_id, held)
        .join(Invoice, Invoice.id == PaymentAllocation.invoice_id)
        .where(PaymentAllocation.payment_id == payment_id)
        .group_by(PaymentAllocation.invoice_id, Invoice.due_on, Invoice.sequence_number)
        .having(held > 0)
        .order_by(
            func.max(PaymentAllocation.created_at).desc(),
            Invoice.due_on.desc().nulls_first(),
            Invoice.sequence_number.desc().nulls_first(),
            PaymentAllocation.invoice_id,
        )
    )
    return [(invoice_id, int(amount)) for invoice_id, amount in found.all()]


async def allocations(session: AsyncSession, payment_id: UUID) -> list[PaymentAllocation]:
    """The payment's allocations in the order they were made (one allocation pays the oldest
    invoice first; a refund takes back the latest paid first)."""
    found = await session.execute(
        select(PaymentAllocation)
        .join(Invoice, Invoice.id == PaymentAllocation.invoice_id)
        .where(PaymentAllocation.payment_id == payment_id)
        .order_by(
            PaymentAllocation.created_at,
            PaymentAllocation.refund_id.is_not(None),
            case((PaymentAllocation.amount < 0, Invoice.sequence_number), else_=None).desc(),
            Invoice.due_on.asc().nulls_last(),
            Invoice.sequence_number.asc().nulls_last(),
            PaymentAllocation.id,
        )
    )
    return list(found.scalars())


async def invoice_numbers(session: AsyncSession, invoice_ids: list[UUID]) -> dict[UUID, str | None]:
    if not invoice_ids:
        return {}
    found = await session.execute(
        select(Invoice.id, Invoice.number).where(Invoice.id.in_(invoice_ids))
    )
    return {invoice_id: number for invoice_id, number in found.all()}


async def refunds(session: AsyncSession, payment_id: UUID) -> list[PaymentRefund]:
    found = await session.execute(
        select(PaymentRefund)
        .where(PaymentRefund.payment_id == payment_id)
        .order_by(PaymentRefund.created_at, PaymentRefund.id)
    )
    return list(found.scalars())


def search(
    *,
    customer_id: UUID | None = None,
    method: str | None = None,
    received_from: date | None = None,
    received_to: date | None = None,
) -> Select[Any]:
    query = select(Payment)
    if customer_id:
        query = query.where(Payment.customer_id == customer_id)
    if method:
        query = query.where(Payment.method == method)
    if received_from:
        query = query.where(Payment.received_on >= received_from)
    if received_to:
        query = query.where(Payment.received_on <= received_to)
    return query.order_by(Payment.created_at.desc(), Payment.id)


async def stripe_account(session: AsyncSession) -> StripeAccount | None:
    return await session.scalar(select(StripeAccount))


async def invoices_for_update(session: AsyncSession, invoice_ids: list[UUID]) -> list[Invoice]:
    if not invoice_ids:
        return []
    found = await session.execute(
        select(Invoice)
        .where(Invoice.id.in_(invoice_ids))
        .order_by(Invoice.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(found.scalars())


async def drop_stripe_account(session: AsyncSession) -> None:
    await session.execute(delete(StripeAccount))


async def currency(session: AsyncSession) -> str:
    """The ISP's currency (its default until it sets one)."""
    found = await session.scalar(select(BillingSettings.currency))
    return found or str(DEFAULTS["currency"])
