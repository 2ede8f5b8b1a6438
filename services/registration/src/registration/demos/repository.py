"""Demos' SQL: the demos asked for, by whom and from where."""

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from registration.models import Demo


async def get(session: AsyncSession, demo_id: UUID, *, for_update: bool = False) -> Demo | None:
    """The demo; `for_update` locks it until the transaction ends."""
    return await session.get(Demo, demo_id, with_for_update=for_update)


async def of_email_in(session: AsyncSession, email: str, states: Collection[str]) -> Demo | None:
    """The prospect's demo in one of `states`, if there is one."""
    return (
        await session.execute(
            select(Demo).where(Demo.prospect_email == email, Demo.state.in_(states))
        )
    ).scalar_one_or_none()


async def lock_requests_from(session: AsyncSession, address: str) -> None:
    """Hold the address's lock until the transaction ends, so its requests are counted one
    after the other."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:a, 0))"), {"a": f"demos:{address}"}
    )


async def requested_from_since(
    session: AsyncSession, address: str, since: datetime
) -> list[datetime]:
    """When each demo asked for from the address after `since` was asked for, oldest first."""
    found = await session.execute(
        select(Demo.created_at)
        .where(Demo.requested_from == address, Demo.created_at > since)
        .order_by(Demo.created_at)
    )
    return list(found.scalars())
