"""A customer's account: payments allocated to open invoices oldest first, what is left kept as
credit that later invoices take, and refunds taken back off it. Every change of an invoice's
`amount_paid` here comes with its allocation rows, so the two always agree.

Callers hold the customer's account (`repository.lock_customer`) is done here, in each function:
payments, refunds and newly issued invoices change one customer's allocations one at a time."""

import uuid
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tenant_api.billing.invoices.schemas import InvoiceStatus
from tenant_api.billing.payments import repository
from tenant_api.billing.payments.allocation import Applied, Owed, allocate, unwind
from tenant_api.models import Invoice, Payment, PaymentAllocation, PaymentRefund


def balance_of(invoice: Invoice) -> int:
    return invoice.total - invoice.amount_paid - invoice.amount_credited


def settle(invoice: Invoice, now: datetime) -> None:
    """The invoice's stored status after a payment, credit note or refund changed what is left
    to pay on it."""
    invoice.status = (
        InvoiceStatus.PAID.value
        if balance_of(invoice) <= 0
        else InvoiceStatus.PARTIALLY_PAID.value
        if invoice.amount_paid
        else InvoiceStatus.ISSUED.value
    )
    invoice.updated_at = now


async def allocate_payment(
    session: AsyncSession, payment: Payment, amount: int, now: datetime
) -> list[Applied]:
    """Allocate `amount` of `payment` to its customer's open invoices, oldest first; what does
    not fit stays on the payment as credit."""
    await repository.lock_customer(session, payment.customer_id)
    invoices = await repository.open_invoices(session, payment.customer_id)
    by_id = {invoice.id: invoice for invoice in invoices}
    applied, _credit = allocate(amount, [Owed(i.id, balance_of(i)) for i in invoices])
    for share in applied:
        session.add(
            PaymentAllocation(
                id=uuid.uuid4(),
                tenant_id=payment.tenant_id,
                payment_id=payment.id,
                invoice_id=share.invoice_id,
                amount=share.amount,
                created_at=now,
            )
        )
        invoice = by_id[share.invoice_id]
        invoice.amount_paid += share.amount
        settle(invoice, now)
    await session.flush()
    return applied


async def apply_credit(session: AsyncSession, customer_ids: list[UUID], now: datetime) -> int:
    """Let the credit of these customers (their payments' unallocated parts, the oldest first)
    pay their open invoices: how much it paid."""
    used = 0
    for customer_id in await repository.customers_with_credit(session, sorted(set(customer_ids))):
        await repository.lock_customer(session, customer_id)
        for payment, left in await repository.payments_with_credit(session, customer_id):
            applied = await allocate_payment(session, payment, left, now)
            used += sum(share.amount for share in applied)
            if not applied:
                break  # nothing open is left to pay
    return used


async def apply_credit_to_run(session: AsyncSession, run_id: UUID, now: datetime) -> int:
    """After a bill run issued its invoices: the credit of its customers pays them."""
    return await apply_credit(session, await repository.customers_of_run(session, run_id), now)


async def take_back(
    session: AsyncSession, payment: Payment, refund: PaymentRefund, now: datetime
) -> list[Applied]:
    """Record `refund` against `payment`: its credit goes first, then what it paid on invoices
    (the most recently paid first), each of which is open again for that much."""
    await repository.lock_customer(session, payment.customer_id)
    allocated = await repository.allocated_of(session, payment.id)
    unallocated = payment.amount - payment.amount_refunded - allocated
    held = [Applied(i, amount) for i, amount in await repository.holdings(session, payment.id)]
    taken = unwind(refund.amount, unallocated, held)
    invoices = {
        i.id: i
        for i in await repository.invoices_for_update(session, [t.invoice_id for t in taken])
    }
    for share in taken:
        session.add(
            PaymentAllocation(
                id=uuid.uuid4(),
                tenant_id=payment.tenant_id,
                payment_id=payment.id,
                invoice_id=share.invoice_id,
                refund_id=refund.id,
                amount=-share.amount,
                created_at=now,
            )
        )
        invoice = invoices[share.invoice_id]
        invoice.amount_paid -= share.amount
        settle(invoice, now)
    payment.amount_refunded += refund.amount
    await session.flush()
    return taken
