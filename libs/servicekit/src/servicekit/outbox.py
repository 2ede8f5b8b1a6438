"""Transactional outbox: events are rows written with the state they describe, then relayed.

A publisher calls `Outbox.add` inside its unit of work; the event exists exactly when the state
change does. `OutboxRelay` publishes them to JetStream with `Nats-Msg-Id` = event id, so an event
published twice (a relay died between publish and mark, or two relays took it at once) is
dropped by the stream's duplicate window rather than delivered twice.

A process that runs a relay hands it its own events as they commit (`Outbox.hand_to`): the
relay publishes them from memory and marks them in one statement, instead of reading them back
in a transaction of its own. Rows are read back only for what no relay was handed: events of
processes without one (which wake the relays of the others), of a writer that died before its
relay published them, or that failed to publish.
"""

import asyncio
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from nats.js import JetStreamContext
from opentelemetry import trace
from opentelemetry.propagate import inject
from sqlalchemy import BigInteger, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from dotmac_contracts import CloudEvent, Event
from servicekit.db import Database, after_commit, param
from servicekit.messaging import MessagingTables
from servicekit.metrics import (
    OUTBOX_OLDEST_AGE,
    OUTBOX_PENDING,
    OUTBOX_PUBLISH_FAILURES,
    OUTBOX_PUBLISH_SECONDS,
    OUTBOX_PUBLISHED,
)
from servicekit.notify import listen_elsewhere
from servicekit.tasks import cancel_and_wait, stop_if_asked

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

PURGE_EVERY_S = 3600.0
MEASURE_EVERY_S = 15.0
"""How often the relay counts the events still waiting (the backlog gauges)."""
KEEP_PUBLISHED_S = 7 * 86400.0
"""Published events stay a week: long enough to answer "was it sent, and when"."""


@dataclass(frozen=True, slots=True)
class Staged:
    """An outbox row as its writer staged it, handed to the writer's relay at commit."""

    id: int
    event_id: uuid.UUID
    subject: str
    source: str
    ce_subject: str | None
    occurred_at: datetime
    data: bytes
    trace_headers: dict[str, str]


_STAGED = tuple(field.name for field in fields(Staged) if field.name != "id")
"""The columns a writer fills (the row's id comes from its sequence)."""


class UndeclaredEvent(TypeError):
    """A service staged an event it does not say it publishes (so its AsyncAPI document would
    not show it)."""


class Outbox:
    def __init__(
        self,
        tables: MessagingTables,
        source: str,
        *,
        publishes: Iterable[type[Event]] | None = None,
    ) -> None:
        """`publishes`: the events the service says it publishes (its AsyncAPI document's
        send operations); staging any other is a programming error. None: any."""
        self._table = tables.outbox
        self._channel = tables.notify_channel
        self.source = source
        self._publishes = None if publishes is None else frozenset(e.subject for e in publishes)
        self._relay: OutboxRelay | None = None
        t = self._table
        # Built once: every event of the service goes one of these two ways. A writer whose
        # process runs a relay stages the row and hands the event to that relay at commit;
        # any other stages it and wakes the relays' LISTEN in the same round trip (Postgres
        # delivers the NOTIFY only if the transaction commits).
        staged = insert(t).values({name: param(t.c[name]) for name in _STAGED}).returning(t.c.id)
        self._stage = staged
        self._stage_and_wake = select(func.pg_notify(self._channel, "")).select_from(
            staged.cte("staged")
        )

    def hand_to(self, relay: "OutboxRelay | None") -> None:
        """From now on, hand what commits to `relay`, this process's (None: to no relay here;
        every event then wakes the relays of other processes)."""
        self._relay = relay

    async def add(self, session: AsyncSession, event: Event) -> uuid.UUID:
        """Stage `event` in the caller's transaction. It is published only if that commits."""
        if self._publishes is not None and event.subject not in self._publishes:
            raise UndeclaredEvent(
                f"{self.source} does not declare that it publishes {event.subject}"
            )
        carrier: dict[str, str] = {}
        inject(carrier)  # the current trace continues in every consumer
        row: dict[str, Any] = {
            "event_id": uuid.uuid4(),
            "subject": event.subject,
            "source": self.source,
            "ce_subject": event.ce_subject(),
            "occurred_at": datetime.now(UTC),
            "data": event.model_dump_json().encode(),
            "trace_headers": carrier,
        }
        relay = self._relay
        if relay is not None:
            staged = Staged(id=(await session.execute(self._stage, row)).scalar_one(), **row)
            after_commit(session, lambda: relay.take(staged))
        else:
            await session.execute(self._stage_and_wake, row)
        return row["event_id"]


class OutboxRelay:
    """Publishes committed outbox rows to JetStream; safe to run in several processes at once."""

    def __init__(
        self,
        db: Database,
        tables: MessagingTables,
        js: JetStreamContext,
        *,
        batch_size: int = 200,
        idle_poll_s: float = 1.0,
        publish_timeout_s: float = 5.0,
    ) -> None:
        self._db = db
        self._table = tables.outbox
        self._channel = tables.notify_channel
        self._js = js
        self._batch_size = batch_size
        self._idle_poll_s = idle_poll_s
        self._publish_timeout_s = publish_timeout_s
        self._wake = asyncio.Event()
        self._handed: list[Staged] = []
        self._look = True
        """Whether pending rows may wait that were not handed over: at start, when another
        process's writer wakes this relay, after a failure and when idle."""
        t = self._table
        self._pending = (
            select(t)
            .where(t.c.published_at.is_(None))
            .order_by(t.c.id)
            .limit(batch_size)
            .with_for_update(skip_locked=True)
        )
        self._mark_published = (  # one statement for any number of ids, prepared once
            update(t)
            .where(t.c.id == func.any(bindparam("ids", type_=ARRAY(BigInteger))))
            .where(t.c.published_at.is_(None))
            .values(published_at=func.now())
        )

    def take(self, staged: Staged) -> None:
        """Publish `staged`, committed by a writer of this process, on the next pass."""
        self._handed.append(staged)
        self._wake.set()

    def _look_again(self) -> None:
        self._look = True
        self._wake.set()

    async def run(self) -> None:
        listener = asyncio.create_task(
            listen_elsewhere(self._db, self._channel, lambda _: self._look_again()),
            name=f"listen:{self._channel}",
        )
        failures = 0
        next_purge = next_measure = 0.0
        try:
            while True:
                stop_if_asked()
                if (now := asyncio.get_running_loop().time()) >= next_measure:
                    next_measure = now + MEASURE_EVERY_S
                    try:
                        await self.measure_backlog()
                    except Exception:
                        log.warning("outbox backlog not measured", exc_info=True)
                if now >= next_purge:
                    next_purge = now + PURGE_EVERY_S
                    try:
                        await self.purge_published()
                    except Exception:
                        log.warning("outbox purge failed; retrying in an hour", exc_info=True)
                self._wake.clear()
                try:
                    complete = await self.publish_handed()
                    if self._look:
                        self._look = False
                        published, complete_too = await self.publish_pending()
                        complete &= complete_too
                        if published == self._batch_size:  # more may wait
                            self._look = True
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("outbox relay pass failed")
                    complete = False
                if not complete:
                    # NATS (or Postgres) is unavailable: back off, rows stay pending.
                    self._look, failures = True, failures + 1
                    await asyncio.sleep(min(0.1 * 2**failures, 2.0))
                    continue
                failures = 0
                if not self._look and not self._handed:
                    try:
                        async with asyncio.timeout(self._idle_poll_s):
                            await self._wake.wait()
                    except TimeoutError:
                        self._look = True
        finally:
            await cancel_and_wait(listener)

    async def measure_backlog(self) -> None:
        """Set the backlog gauges: how many events wait, and for how long the oldest has."""
        t = self._table
        waiting = select(func.count(), func.min(t.c.created_at)).where(t.c.published_at.is_(None))
        async with self._db.reading() as connection:
            pending, oldest = (await connection.execute(waiting)).one()
        OUTBOX_PENDING.set(pending)
        OUTBOX_OLDEST_AGE.set((datetime.now(UTC) - oldest).total_seconds() if oldest else 0)

    async def publish_handed(self) -> bool:
        """Publish the events this process's writers handed over, and mark them published in
        one statement. Returns whether all were; those that were not stay pending."""
        handed, self._handed = self._handed, []
        if not handed:
            return True
        results = await asyncio.gather(*map(self._publish, handed), return_exceptions=True)
        async with self._db.autocommit() as connection:
            return await self._settle(connection, handed, results)

    async def publish_pending(self) -> tuple[int, bool]:
        """One pass over the table: publish up to a batch of pending rows. Returns (published,
        all_succeeded)."""
        async with self._db.unit_of_work() as session:
            rows = (await session.execute(self._pending)).all()
            if not rows:
                return 0, True
            # Tasks are created in id order, so the publishes reach the server in that order.
            results = await asyncio.gather(*map(self._publish, rows), return_exceptions=True)
            complete = await self._settle(session, rows, results)
            return sum(r is None for r in results), complete

    async def _settle(
        self,
        executor: AsyncSession | AsyncConnection,
        rows: Sequence[Any],
        results: Sequence[BaseException | None],
    ) -> bool:
        """Mark the rows whose publish succeeded published (in one statement) and count a
        failed attempt on the others. Returns whether all succeeded."""
        t = self._table
        done = [row.id for row, result in zip(rows, results, strict=True) if result is None]
        if done:
            await executor.execute(self._mark_published, {"ids": done})
        now = datetime.now(UTC)
        for row, result in zip(rows, results, strict=True):
            if result is None:
                OUTBOX_PUBLISH_SECONDS.observe(max(0.0, (now - row.occurred_at).total_seconds()))
                OUTBOX_PUBLISHED.labels(row.subject).inc()
        OUTBOX_PUBLISH_FAILURES.inc(len(rows) - len(done))
        for row, error in zip(rows, results, strict=True):
            if error is not None:
                await executor.execute(
                    update(t)
                    .where(t.c.id == row.id)
                    .values(attempts=t.c.attempts + 1, last_error=repr(error)[:500])
                )
        if len(done) < len(rows):
            log.warning(
                "outbox: %d of %d events not published yet", len(rows) - len(done), len(rows)
            )
        return len(done) == len(rows)

    async def _publish(self, row: Any) -> None:
        """`row`: a `Staged` event or a pending row read back, which has the same fields."""
        envelope = CloudEvent(
            id=str(row.event_id),
            source=row.source,
            type=row.subject,
            subject=row.ce_subject,
            time=row.occurred_at,
            data=row.data,
            trace_headers=row.trace_headers,
        )
        await self._js.publish(
            row.subject, row.data, headers=envelope.headers(), timeout=self._publish_timeout_s
        )

    async def purge_published(self, older_than_s: float = KEEP_PUBLISHED_S) -> int:
        """Delete events published more than `older_than_s` ago. Returns how many."""
        t = self._table
        async with self._db.unit_of_work() as session:
            result = await session.execute(
                t.delete()
                .where(
                    t.c.published_at
                    < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, older_than_s)
                )
                .returning(t.c.id)
            )
            return len(result.all())
