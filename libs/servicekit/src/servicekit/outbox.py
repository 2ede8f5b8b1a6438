"""Transactional outbox: events are rows written with the state they describe, then relayed.

A publisher calls `Outbox.add` inside its unit of work; the event exists exactly when the state
change does. `OutboxRelay` publishes pending rows to JetStream in id order with `Nats-Msg-Id` =
event id, so a row published twice (relay died between publish and mark) is dropped by the
stream's duplicate window rather than delivered twice.
"""

import asyncio
import logging
import uuid
from datetime import UTC, datetime

from nats.js import JetStreamContext
from opentelemetry import trace
from opentelemetry.propagate import inject
from sqlalchemy import String, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts import CloudEvent, Event
from servicekit.db import Database, param
from servicekit.messaging import MessagingTables
from servicekit.notify import await_work, work_notice
from servicekit.tasks import cancel_and_wait, stop_if_asked

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

PURGE_EVERY_S = 3600.0
KEEP_PUBLISHED_S = 7 * 86400.0
"""Published events stay a week: long enough to answer "was it sent, and when"."""


class Outbox:
    def __init__(self, tables: MessagingTables, source: str) -> None:
        self._table = tables.outbox
        self._channel = tables.notify_channel
        self.source = source
        t = self._table
        staged = (
            insert(t)
            .values(
                {
                    name: param(t.c[name])
                    for name in (
                        "event_id",
                        "subject",
                        "source",
                        "ce_subject",
                        "occurred_at",
                        "data",
                        "trace_headers",
                    )
                }
            )
            .returning(t.c.id)
            .cte("staged")
        )
        # One round trip: the row, and a wake-up for the relays' LISTEN that Postgres delivers
        # only if the transaction commits. Built once: every event of the service goes this way.
        self._stage = select(
            func.pg_notify(self._channel, bindparam("notice", type_=String()))
        ).select_from(staged)

    async def add(self, session: AsyncSession, event: Event) -> uuid.UUID:
        """Stage `event` in the caller's transaction. It is published only if that commits."""
        carrier: dict[str, str] = {}
        inject(carrier)  # the current trace continues in every consumer
        event_id = uuid.uuid4()
        await session.execute(
            self._stage,
            {
                "notice": work_notice(session, self._channel),
                "event_id": event_id,
                "subject": event.subject,
                "source": self.source,
                "ce_subject": event.ce_subject(),
                "occurred_at": datetime.now(UTC),
                "data": event.model_dump_json().encode(),
                "trace_headers": carrier,
            },
        )
        return event_id


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
        t = self._table
        self._pending = (
            select(t)
            .where(t.c.published_at.is_(None))
            .order_by(t.c.id)
            .limit(batch_size)
            .with_for_update(skip_locked=True)
        )
        self._mark_published = (
            update(t)
            .where(t.c.id.in_(bindparam("ids", expanding=True)))
            .values(published_at=func.now())
        )

    async def run(self) -> None:
        listener = asyncio.create_task(
            await_work(self._db, self._channel, self._wake.set),
            name=f"listen:{self._channel}",
        )
        failures = 0
        next_purge = 0.0
        try:
            while True:
                stop_if_asked()
                if (now := asyncio.get_running_loop().time()) >= next_purge:
                    next_purge = now + PURGE_EVERY_S
                    try:
                        await self.purge_published()
                    except Exception:
                        log.warning("outbox purge failed; retrying in an hour", exc_info=True)
                self._wake.clear()
                try:
                    published, complete = await self.publish_pending()
                    failures = 0 if complete else failures + 1
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("outbox relay pass failed")
                    published, complete, failures = 0, False, failures + 1
                if not complete:
                    # NATS (or Postgres) is unavailable: back off, rows stay pending.
                    await asyncio.sleep(min(0.1 * 2**failures, 2.0))
                elif published < self._batch_size:
                    try:
                        async with asyncio.timeout(self._idle_poll_s):
                            await self._wake.wait()
                    except TimeoutError:
                        pass
        finally:
            await cancel_and_wait(listener)

    async def publish_pending(self) -> tuple[int, bool]:
        """One pass: publish up to a batch of pending rows. Returns (published, all_succeeded)."""
        t = self._table
        async with self._db.unit_of_work() as session:
            rows = (await session.execute(self._pending)).all()
            if not rows:
                return 0, True
            # Tasks are created in id order, so the publishes reach the server in that order.
            results = await asyncio.gather(
                *(self._publish(row) for row in rows), return_exceptions=True
            )
            done = [row.id for row, r in zip(rows, results, strict=True) if r is None]
            failed = [(row.id, r) for row, r in zip(rows, results, strict=True) if r is not None]
            if done:
                await session.execute(self._mark_published, {"ids": done})
            for row_id, error in failed:
                await session.execute(
                    update(t)
                    .where(t.c.id == row_id)
                    .values(attempts=t.c.attempts + 1, last_error=repr(error)[:500])
                )
            if failed:
                log.warning("outbox: %d of %d events not published yet", len(failed), len(rows))
            return len(done), not failed

    async def _publish(self, row) -> None:  # type: ignore[no-untyped-def]
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
