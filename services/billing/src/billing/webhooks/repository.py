"""The Stripe events billing has received, by id."""

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from billing.models import StripeEvent
from servicekit.db import table_of


async def record(
    executor: AsyncSession | AsyncConnection, event_id: str, type_: str, at: datetime
) -> bool:
    """Record the event, in a unit of work or on an autocommit connection (one round trip);
    whether it was new."""
    table = table_of(StripeEvent)
    recorded = await executor.execute(
        insert(table)
        .values(id=event_id, type=type_, received_at=at)
        .on_conflict_do_nothing()
        .returning(table.c.id)
    )
    return recorded.first() is not None
