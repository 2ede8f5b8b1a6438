"""The Stripe events billing has received, by id."""

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from billing.models import StripeEvent
from servicekit.db import table_of


async def first_time(session: AsyncSession, event_id: str, type_: str, at: datetime) -> bool:
    """Record the event; whether it was new."""
    table = table_of(StripeEvent)
    recorded = await session.execute(
        insert(table)
        .values(id=event_id, type=type_, received_at=at)
        .on_conflict_do_nothing()
        .returning(table.c.id)
    )
    return recorded.first() is not None


async def record(connection: AsyncConnection, event_id: str, type_: str, at: datetime) -> bool:
    """Record the event on an autocommit connection (one round trip); whether it was new."""
    table = table_of(StripeEvent)
    recorded = await connection.execute(
        insert(table)
        .values(id=event_id, type=type_, received_at=at)
        .on_conflict_do_nothing()
        .returning(table.c.id)
    )
    return recorded.first() is not None
