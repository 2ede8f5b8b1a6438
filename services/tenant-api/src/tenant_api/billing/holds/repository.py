"""Holds' SQL."""

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenant_api.models import BillingHold, Subscription


async def get(session: AsyncSession, hold_id: UUID) -> BillingHold | None:
    return await session.get(BillingHold, hold_id)


async def of_customer(session: AsyncSession, customer_id: UUID) -> list[BillingHold]:
    found = await session.execute(
        select(BillingHold)
        .where(BillingHold.customer_id == customer_id)
        .order_by(BillingHold.starts_on, BillingHold.id)
    )
    return list(found.scalars())


async def subscription_customer(session: AsyncSession, subscription_id: UUID) -> UUID | None:
    return await session.scalar(
        select(Subscription.customer_id).where(Subscription.id == subscription_id)
    )
