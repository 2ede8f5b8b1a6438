"""Insights' SQL: accounts grouped, and their history of moves read at a point in time."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.models import Account, AccountMove, UsageDay


async def accounts(session: AsyncSession) -> Sequence[Any]:
    """Each account's tier, status, region and what its subscription charges."""
    query = select(
        Account.isp_id,
        Account.tier,
        Account.status,
        Account.region,
        Account.billing_period,
        Account.amount_cents,
        Account.currency,
    )
    return (await session.execute(query)).all()


async def statuses_at(session: AsyncSession, at: datetime) -> dict[UUID, str]:
    """Each account's status at `at` (accounts not yet opened then are absent)."""
    query = (
        select(AccountMove.isp_id, AccountMove.status)
        .where(AccountMove.at < at)
        .distinct(AccountMove.isp_id)
        .order_by(AccountMove.isp_id, AccountMove.at.desc(), AccountMove.id.desc())
    )
    return {row.isp_id: row.status for row in await session.execute(query)}


async def moves_into(
    session: AsyncSession,
    status: str,
    previous: Sequence[str],
    start: datetime,
    end: datetime,
    *,
    isp_id: UUID | None = None,
) -> list[UUID]:
    """The ISPs (one entry per move) moved from one of `previous` into `status` in [start, end)
    (only `isp_id`'s moves if given)."""
    query = select(AccountMove.isp_id).where(
        AccountMove.status == status,
        AccountMove.previous.in_(previous),
        AccountMove.at >= start,
        AccountMove.at < end,
    )
    if isp_id is not None:
        query = query.where(AccountMove.isp_id == isp_id)
    return list((await session.scalars(query)).all())


async def last_move_into(session: AsyncSession, isp_id: UUID, status: str) -> datetime | None:
    query = select(func.max(AccountMove.at)).where(
        AccountMove.isp_id == isp_id, AccountMove.status == status
    )
    return await session.scalar(query)


async def unpaid(session: AsyncSession) -> Sequence[Account]:
    query = select(Account).where(Account.status.in_(("past_due", "suspended")))
    return (await session.scalars(query.order_by(Account.status_changed_at))).all()


async def customers_on(session: AsyncSession, isp_id: UUID, day: date) -> int | None:
    """The ISP's customer count on `day`, or on the last day before it that has one."""
    query = (
        select(UsageDay.customers)
        .where(UsageDay.isp_id == isp_id, UsageDay.day <= day)
        .order_by(UsageDay.day.desc())
        .limit(1)
    )
    return await session.scalar(query)


async def opened(session: AsyncSession, limit: int) -> Sequence[Account]:
    query = select(Account).where(Account.opened_at.is_not(None)).order_by(Account.isp_id)
    return (await session.scalars(query.limit(limit))).all()
