"""Postgres LISTEN/NOTIFY for the listeners of a process: one connection LISTENs on all their
channels, for as long as any listens, reconnecting when it drops. NOTIFY is delivered on
commit, so a listener hears only committed changes.

A listener also hears its own process's NOTIFYs at once, when the unit of work commits, so the
replica that made a change — revoked a key, say — acts on it before it answers the request that
made it. Those NOTIFYs carry the process's mark, and their echo from Postgres is not heard again
(listeners are idempotent, but each hearing could cost a reload).

Workers of a table (the outbox relay, the mail sender) are woken the same way from other
processes (`wake_workers`); a writer in their own process hands them the work directly."""

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.db import Database, after_commit, database_of
from servicekit.tasks import cancel_and_wait, stop_if_asked

log = logging.getLogger(__name__)

MARKED = "\x1e"
"""Between the writing process's mark and the payload, in a NOTIFY it has heard already."""


async def listen(db: Database, channel: str, on_notify: Callable[[str], None]) -> None:
    """Call `on_notify(payload)` for every NOTIFY on `channel`: this process's as they commit,
    the others' as Postgres delivers them. Runs until cancelled."""
    stop_hearing = db.hear_locally(channel, on_notify)
    try:
        await listen_elsewhere(db, channel, on_notify)
    finally:
        stop_hearing()


async def listen_elsewhere(db: Database, channel: str, on_notify: Callable[[str], None]) -> None:
    """Call `on_notify(payload)` for every NOTIFY on `channel` that Postgres delivers, without
    hearing this process's own at commit (for a listener that hears those its own way).
    Runs until cancelled."""

    def heard(payload: str) -> None:
        mark, marked, rest = payload.partition(MARKED)
        if not marked:
            on_notify(payload)
        elif mark != db.mark:  # another process's: this one's was heard as it committed
            on_notify(rest)

    await _listening(db).follow(channel, heard)


_LISTENINGS: "weakref.WeakKeyDictionary[Database, _Listening]" = weakref.WeakKeyDictionary()


def _listening(db: Database) -> "_Listening":
    listening = _LISTENINGS.get(db)
    if listening is None:
        listening = _LISTENINGS[db] = _Listening(db)
    return listening


class _Listening:
    """One connection LISTENs on every channel a database's listeners follow, for as long as
    any does, reconnecting when it drops. Not one per channel: each would hold a connection
    of the pool, and Postgres wakes every listening connection at every NOTIFY."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._heard: dict[str, list[Callable[[str], None]]] = {}
        self._driver: Any = None
        self._task: asyncio.Task[None] | None = None
        self._saying = asyncio.Lock()
        """One LISTEN at a time: asyncpg refuses a second statement on a connection while one
        is under way, and a LISTEN refused so is lost until the connection drops."""

    async def follow(self, channel: str, heard: Callable[[str], None]) -> None:
        """`heard(payload)` for each NOTIFY on `channel`, until cancelled."""
        first = channel not in self._heard
        self._heard.setdefault(channel, []).append(heard)
        try:
            if self._task is None or self._task.done():
                self._task = asyncio.create_task(self._run(), name="listen")
            elif first and self._driver is not None:
                with contextlib.suppress(Exception):  # lost: the reconnect LISTENs again
                    async with self._saying:
                        await self._driver.add_listener(channel, self._dispatch)
            await asyncio.Future()  # until cancelled
        finally:
            self._heard[channel].remove(heard)
            if not self._heard[channel]:
                del self._heard[channel]
            if not self._heard and self._task is not None:
                task, self._task = self._task, None
                await cancel_and_wait(task)  # its connection closed before the pool may go

    def _dispatch(self, _connection: object, _pid: int, channel: str, payload: str) -> None:
        for heard in list(self._heard.get(channel, ())):
            try:
                heard(payload)
            except Exception:  # one listener's failure is not the others'
                log.exception("a listener on %s failed on %r", channel, payload)

    async def _run(self) -> None:
        while True:
            stop_if_asked()
            driver = None
            try:
                async with self._db.engine.connect() as conn:
                    try:
                        raw = await conn.get_raw_connection()
                        driver = raw.driver_connection
                        assert driver is not None, "an open connection has a driver connection"
                        self._driver = driver  # from now on, `follow` LISTENs on a new channel
                        async with self._saying:
                            for channel in list(self._heard):
                                await driver.add_listener(channel, self._dispatch)
                        while not driver.is_closed():
                            await asyncio.sleep(1.0)
                    finally:  # closed, not returned to the pool still listening
                        await conn.invalidate()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("lost the LISTEN connection for %s; retrying", ", ".join(self._heard))
                await asyncio.sleep(1.0)
            finally:
                if self._driver is driver:  # not a successor's connection
                    self._driver = None


async def notify(session: AsyncSession, channel: str, payload: str = "") -> None:
    """NOTIFY `channel` with `payload` when the session's transaction commits (not before).
    This process's listeners hear it as it commits; other processes', from Postgres."""
    database = database_of(session)
    if database is not None and database.heard_here(channel):
        sent = f"{database.mark}{MARKED}{payload}"
        after_commit(session, lambda: database.hear(channel, payload))
    else:
        sent = payload
    await session.execute(text("SELECT pg_notify(:c, :p)"), {"c": channel, "p": sent})


async def wake_workers(session: AsyncSession, channel: str) -> None:
    """Wake the workers of `channel` (the relays, mail senders) of other processes when the
    session's transaction commits: for a writer whose own process runs none. One that runs
    one hands it the work itself (`after_commit`) and sends no NOTIFY: woken, the other
    processes' workers would find the rows locked or gone, and every NOTIFY costs Postgres a
    wake-up of each listening connection. (Should the writer die first, their polls do it.)"""
    await session.execute(text("SELECT pg_notify(:c, '')"), {"c": channel})


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
        asyncio.create_task(listen_elsewhere(db, channel, pending.put_nowait)),
        asyncio.create_task(drain()),
    ]
    stop_hearing = db.hear_locally(channel, apply)
    try:
        yield
    finally:
        stop_hearing()
        await cancel_and_wait(*tasks)
        await asyncio.gather(*tasks, return_exceptions=True)
