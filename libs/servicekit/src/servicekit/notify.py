"""Postgres LISTEN/NOTIFY for the listeners of a process: one connection LISTENs on all their
channels, for as long as any listens, reconnecting when it drops. NOTIFY is delivered on
commit, so a listener hears only committed changes.

A listener also hears its own process's NOTIFYs at once, when the unit of work commits, so the
replica that made a change — revoked a key, say — acts on it before it answers the request that
made it. Those NOTIFYs carry the process's mark, and their echo from Postgres is not heard again
(listeners are idempotent, but each hearing could cost a reload)."""

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.db import DATABASE, NOTIFIED, Database
from servicekit.tasks import cancel_and_wait, stop_if_asked

log = logging.getLogger(__name__)

MARKED = "\x1e"
"""Between the writing process's mark and the payload, in a NOTIFY it has heard already."""


async def listen(db: Database, channel: str, on_notify: Callable[[str], None]) -> None:
    """Call `on_notify(payload)` for every NOTIFY on `channel`. Runs until cancelled."""
    await _hearing(db, channel, here=on_notify, elsewhere=on_notify)


async def _hearing(
    db: Database,
    channel: str,
    *,
    here: Callable[[Any], None],
    elsewhere: Callable[[str], None],
) -> None:
    """`here(payload)` for this process's NOTIFYs as they commit, `elsewhere(payload)` for
    those Postgres delivers from other processes. Runs until cancelled."""
    stop_hearing = db.hear_locally(channel, here)
    try:
        await listen_elsewhere(db, channel, elsewhere)
    finally:
        stop_hearing()


def _heard_here(session: AsyncSession, channel: str) -> Database | None:
    """The session's database, if something in this process hears `channel` at commit."""
    database = session.info.get(DATABASE)
    return database if isinstance(database, Database) and database.heard_here(channel) else None


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

    async def follow(self, channel: str, heard: Callable[[str], None]) -> None:
        """`heard(payload)` for each NOTIFY on `channel`, until cancelled."""
        first = channel not in self._heard
        self._heard.setdefault(channel, []).append(heard)
        try:
            if self._task is None or self._task.done():
                self._task = asyncio.create_task(self._run(), name="listen")
            elif first and self._driver is not None:
                with contextlib.suppress(Exception):  # lost: the reconnect LISTENs again
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
    """NOTIFY `channel` with `payload` when the session's transaction commits (not before)."""
    database = _heard_here(session, channel)
    sent = f"{database.mark}{MARKED}{payload}" if database else payload
    await session.execute(text("SELECT pg_notify(:c, :p)"), {"c": channel, "p": sent})
    session.info.setdefault(NOTIFIED, []).append((channel, payload))


def handled_here(session: AsyncSession, channel: str) -> bool:
    """Whether this process runs a worker of `channel` (an outbox relay, a mail sender) that
    the writer can hand the work `session`'s transaction commits (`hand_over`).

    Such a writer sends no NOTIFY: woken, the workers of other processes would only find the
    rows locked or gone, a wasted transaction per change and process, and every NOTIFY costs
    Postgres a wake-up of each listening connection. (Should the writer die before its worker
    is done, their idle polls do the work.) A writer without one NOTIFYs them all."""
    return _heard_here(session, channel) is not None


def hand_over(session: AsyncSession, channel: str, work: object) -> None:
    """Give `work` to this process's worker of `channel` once `session`'s transaction commits
    (never, if it rolls back). For a writer that `handled_here` says has one."""
    session.info.setdefault(NOTIFIED, []).append((channel, work))


async def notify_work(session: AsyncSession, channel: str) -> None:
    """Have `channel`'s workers do the work `session`'s transaction commits: this process's
    worker if it runs one, all of them otherwise."""
    if handled_here(session, channel):
        hand_over(session, channel, None)
    else:
        await session.execute(text("SELECT pg_notify(:c, '')"), {"c": channel})


async def await_work(
    db: Database,
    channel: str,
    wake: Callable[[], None],
    *,
    take: Callable[[Any], None] | None = None,
) -> None:
    """Call `wake()` for the work on `channel` that other processes commit, and `take(work)`
    for what this process's writers hand over (`wake()` by default). Runs until cancelled."""
    await _hearing(db, channel, here=take or (lambda _: wake()), elsewhere=lambda _: wake())


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
