"""Billing's SQL about the ISP's customers: it bills them, but they are the customers
context's; billing reads the little it needs and ends what it owns."""

from datetime import date
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tenant_api.models import Customer, Subscription


async def customer_status(session: AsyncSession, customer_id: UUID) -> str | None:
    """The customer's status, or None if the ISP has no such customer."""
    return await session.scalar(select(Customer.status).where(Customer.id == customer_id))


async def end_subscriptions(
    session: AsyncSession, customer_id: UUID, on: date, reason: str | None
) -> None:
    """End every subscription of the customer still running, on `on` (or on its start, if it
    starts later), as cancelled."""
    await session.execute(
        update(Subscription)
        .where(Subscription.customer_id == customer_id, Subscription.ends_on.is_(None))
        .values(
            ends_on=func.greatest(Subscription.starts_on, on),
            end_reason="cancelled",
            cancellation_reason=reason,
        )
    )
