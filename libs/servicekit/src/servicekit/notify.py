"""Postgres LISTEN on one channel, for as long as the process runs, reconnecting when the
connection drops. NOTIFY is delivered on commit, so a listener hears only committed changes.

A listener also hears its own process's NOTIFYs at once, when the unit of work commits (and
again when Postgres delivers them: listeners are idempotent). So the replica that made a
change — revoked a key, say — acts on it before it answers the request that made it."""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.db import NOTIFIED, Database
from servicekit.tasks import cancel_and_wait, stop_if_asked

log = logging.getLogger(__name__)


async def listen(db: Database, channel: str, on_notify: Callable[[str], None]) -> None:
    """Call `on_notify(payload)` for every NOTIFY on `channel`. Runs until cancelled."""
    stop_hearing = db.hear_locally(channel, on_notify)
    try:
        await _listen(db, channel, on_notify)
    finally:
        stop_hearing()


async def _listen(db: Database, channel: str, on_notify: Callable[[str], None]) -> None:
    while True:
        stop_if_asked()
        try:
            async with db.engine.connect() as conn:
                raw = await conn.get_raw_connection()
                driver = raw.driver_connection
                assert driver is not None, "an open connection has a driver connection"
                await driver.add_listener(channel, lambda *args: on_notify(args[-1]))
                while not driver.is_closed():
                    await asyncio.sleep(1.0)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("lost the LISTEN connection for %s; retrying", channel)
            await asyncio.sleep(1.0)


async def notify(session: AsyncSession, channel: str, payload: str = "") -> None:
    """NOTIFY `channel` with `payload` when the session's transaction commits (not before)."""
    await session.execute(text("SELECT pg_notify(:c, :p)"), {"c": channel, "p": payload})
    session.info.setdefault(NOTIFIED, []).append((channel, payload))


@asynccontextmanager
async def following(
    db: Database, channel: str, apply: Callable[[str], Awaitable[None]]
) -> AsyncIterator[None]:
    """While the block runs, `await apply(payload)` for each NOTIFY on `channel`, one at a
    time and in order. Listening starts on entry, so the block's own initial load misses
    nothing committed after it."""
    pending: asyncio.Queue[str] = asyncio.Queue()

    async def drain() -> None:
        while True:
            stop_if_asked()
            await apply(await pending.get())

    tasks = [
        asyncio.create_task(_listen(db, channel, pending.put_nowait)),
        asyncio.create_task(drain()),
    ]
    stop_hearing = db.hear_locally(channel, apply)
    try:
        yield
    finally:
        stop_hearing()
        await cancel_and_wait(*tasks)
        await asyncio.gather(*tasks, return_exceptions=True)
