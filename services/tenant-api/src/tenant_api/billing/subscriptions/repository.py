"""Subscriptions' SQL: who is on which plan from when, and ending what still runs."""

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import Row, Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.db import insert_rows
from tenant_api.models import Subscription


async def get(session: AsyncSession, subscription_id: UUID) -> Subscription | None:
    return await session.get(Subscription, subscription_id)


async def on_plan_after(
    session: AsyncSession, customer_id: UUID, plan_id: UUID, day: date
) -> UUID | None:
    """A subscription of the customer to the plan still running after `day` (open, or ending
    later), if there is one."""
    return await session.scalar(
        select(Subscription.id).where(
            Subscription.customer_id == customer_id,
            Subscription.plan_id == plan_id,
            or_(Subscription.ends_on.is_(None), Subscription.ends_on > day),
        )
    )


async def of_customer(session: AsyncSession, customer_id: UUID) -> list[Subscription]:
    """Every subscription the customer has had, by start."""
    found = await session.execute(
        select(Subscription)
        .where(Subscription.customer_id == customer_id)
        .order_by(Subscription.starts_on, Subscription.created_at)
    )
    return list(found.scalars())


async def end_open(
    session: AsyncSession, customer_id: UUID, on: date, reason: str | None
) -> Sequence[Row[UUID, UUID, date, date | None]]:
    """End every subscription of the customer still running, on `on` (or on its start, if it
    starts later), as cancelled; the ones it ended: (id, plan_id, starts_on, ends_on)."""
    ended = await session.execute(
        update(Subscription)
        .where(Subscription.customer_id == customer_id, Subscription.ends_on.is_(None))
        .values(
            ends_on=func.greatest(Subscription.starts_on, on),
            end_reason="cancelled",
            cancellation_reason=reason,
        )
        .returning(
            Subscription.id, Subscription.plan_id, Subscription.starts_on, Subscription.ends_on
        )
    )
    return ended.all()


def search(
    *,
    customer_id: UUID | None = None,
    plan_id: UUID | None = None,
    active_on: date | None = None,
    open_only: bool | None = None,
) -> Select[Any]:
    """The subscriptions matching every filter given, by start."""
    query = select(Subscription)
    if customer_id:
        query = query.where(Subscription.customer_id == customer_id)
    if plan_id:
        query = query.where(Subscription.plan_id == plan_id)
    if active_on:
        query = query.where(
            Subscription.starts_on <= active_on,
            or_(Subscription.ends_on.is_(None), Subscription.ends_on > active_on),
        )
    if open_only is not None:
        query = query.where(
            Subscription.ends_on.is_(None) if open_only else Subscription.ends_on.is_not(None)
        )
    return query.order_by(Subscription.starts_on, Subscription.id)


async def insert_many(session: AsyncSession, subscriptions: list[dict[str, Any]]) -> None:
    await insert_rows(session, Subscription, subscriptions)
