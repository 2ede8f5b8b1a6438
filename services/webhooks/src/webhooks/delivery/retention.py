"""Messages are kept `message_retention_days` (for replays and event streams); older ones go,
with their deliveries and delivery log (the foreign keys cascade), a batch at a time so no
single statement holds locks for long."""

import asyncio
import logging

from sqlalchemy import text

from servicekit.db import Database
from servicekit.tasks import stop_if_asked

log = logging.getLogger(__name__)
EVERY_S = 3600.0
BATCH = 5000

FORGET = text(
    """
    DELETE FROM webhooks.messages WHERE seq IN (
        SELECT seq FROM webhooks.messages
        WHERE created_at < now() - make_interval(days => :days)
        ORDER BY seq LIMIT :batch
    )
    """
)


async def forget_old_messages(db: Database, days: int) -> int:
    """Delete what is older than `days`; how many messages went."""
    gone = 0
    while True:
        async with db.unit_of_work() as session:
            result = await session.execute(FORGET, {"days": days, "batch": BATCH})
            deleted = int(getattr(result, "rowcount", 0))  # a DELETE's CursorResult
        gone += deleted
        if deleted < BATCH:
            return gone


async def keep_forgetting(db: Database, days: int) -> None:
    while True:
        stop_if_asked()
        try:
            gone = await forget_old_messages(db, days)
            if gone:
                log.info("forgot %d messages older than %d days", gone, days)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("could not forget old messages; trying again later", exc_info=True)
        await asyncio.sleep(EVERY_S)
