"""The outbox and the inbox on real Postgres and a real NATS JetStream server.

What a service relies on: an event written with its state reaches every consumer even when NATS
is down while it is written, and an event delivered twice is applied once.
"""

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from faststream.nats import NatsBroker
from faststream.nats.opentelemetry import NatsTelemetryMiddleware
from nats.aio.client import Client
from nats.js import JetStreamContext
from sqlalchemy import Column, Integer, MetaData, Table, Uuid, func, insert, select, text

from devstack.components import NatsServer
from devstack.ports import free_ports
from dotmac_contracts import encode_event
from dotmac_contracts.events import TenantActivated
from servicekit.bus import connect, ensure_consumers, ensure_streams
from servicekit.db import Database
from servicekit.messaging import MessagingTables, messaging_tables
from servicekit.outbox import Outbox, OutboxRelay
from servicekit.stream import Session, event_broker, subscribe

pytestmark = pytest.mark.integration


@dataclass
class Bench:
    """A throwaway service: its own schema with outbox, inbox and a table of applied effects."""

    db: Database
    tables: MessagingTables
    applied: Table
    outbox: Outbox
    nats: NatsServer
    nc: Client | None = None
    fail_next: int = 0
    order: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    """(ISP, slug) of each event as its handler ran to the end."""
    slow: bool = False

    async def applied_count(self) -> tuple[int, int]:
        async with self.db.unit_of_work() as s:
            row = (
                await s.execute(
                    select(func.count(), func.count(func.distinct(self.applied.c.isp_id)))
                )
            ).one()
        return row[0], row[1]

    async def pending(self) -> int:
        """Outbox rows not marked published."""
        async with self.db.unit_of_work() as s:
            pending = select(func.count()).where(self.tables.outbox.c.published_at.is_(None))
            return (await s.execute(pending)).scalar_one()

    async def write(self, isp_id: uuid.UUID | None = None) -> uuid.UUID:
        isp_id = isp_id or uuid.uuid4()
        async with self.db.unit_of_work() as session:
            await self.outbox.add(session, activated(isp_id))
        return isp_id

    async def wait_applied(self, n: int, timeout: float = 30) -> tuple[int, int]:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            counts = await self.applied_count()
            if counts[0] >= n:
                await asyncio.sleep(0.3)  # a duplicate application would show up now
                return await self.applied_count()
            await asyncio.sleep(0.05)
        return await self.applied_count()


def activated(isp_id: uuid.UUID) -> TenantActivated:
    return TenantActivated(
        isp_id=isp_id,
        slug="acme",
        tier="basic",
        host="acme.localhost",
        activated_at=datetime.now(UTC),
    )


@pytest.fixture
async def bench(migrated_database: str, tmp_path) -> AsyncIterator[Bench]:
    schema = f"kit_{uuid.uuid4().hex[:8]}"
    metadata = MetaData(schema=schema)
    tables = messaging_tables(metadata)
    applied = Table(
        "applied",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("isp_id", Uuid, nullable=False),
    )
    db = Database(migrated_database)
    async with db.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await conn.run_sync(metadata.create_all)
    nats = NatsServer(*free_ports(2), tmp_path / "nats")
    nats.start()
    nats.wait_ready()
    bench = Bench(
        db=db, tables=tables, applied=applied, outbox=Outbox(tables, "kit-test"), nats=nats
    )
    yield bench
    if bench.nc is not None and not bench.nc.is_closed:
        await bench.nc.close()
    nats.stop()
    async with db.engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await db.dispose()


async def start_pipeline(bench: Bench) -> list[asyncio.Task]:
    """Relay and subscriber, as a service's runtime runs them."""
    bench.nc = await connect(bench.nats.url, name="kit-test")
    js = bench.nc.jetstream()
    await ensure_streams(js)

    async def apply(event: TenantActivated, session: Session) -> None:
        await session.execute(insert(bench.applied).values(isp_id=event.isp_id))
        if bench.slow:  # handlers of one batch overlap, and finish in any order
            await asyncio.sleep(random.uniform(0, 0.02))
        if bench.fail_next:
            bench.fail_next -= 1
            raise RuntimeError("handler crashed after writing: its transaction must roll back")
        bench.order.append((event.isp_id, event.slug))

    service = f"kit-{uuid.uuid4().hex[:6]}"
    broker, _ = event_broker(
        service=service,
        nats_url=bench.nats.url,
        db=bench.db,
        tables=bench.tables,
        middlewares=[NatsTelemetryMiddleware()],
    )
    subscribe(broker, service=service, subscribers=[apply])
    relay = OutboxRelay(bench.db, bench.tables, js, publish_timeout_s=1.0)
    return [asyncio.create_task(relay.run()), asyncio.create_task(consume(broker, js))]


async def consume(broker: NatsBroker, js: JetStreamContext) -> None:
    await ensure_consumers(js, broker)
    await broker.start()
    try:
        await asyncio.Future()
    finally:
        await broker.stop()


async def stop(tasks: list[asyncio.Task]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_events_written_while_nats_is_down_arrive_once_it_is_back(bench: Bench):
    tasks = await start_pipeline(bench)
    total = 150
    written: list[uuid.UUID] = []

    async def writer() -> None:
        for _ in range(total):
            written.append(await bench.write())
            await asyncio.sleep(0.01)

    writing = asyncio.create_task(writer())
    while len(written) < 40:
        await asyncio.sleep(0.01)
    await asyncio.to_thread(bench.nats.stop)  # events keep being written meanwhile
    down_at = len(written)
    await asyncio.sleep(1.0)
    assert len(written) > down_at, "the writer must not depend on NATS"
    await asyncio.to_thread(bench.nats.start)
    await asyncio.to_thread(bench.nats.wait_ready)
    await writing

    applied, distinct = await bench.wait_applied(total, timeout=60)
    await stop(tasks)
    assert (applied, distinct) == (total, total)
    pending = await bench.pending()
    async with bench.db.unit_of_work() as s:
        attempts = (await s.execute(select(func.max(bench.tables.outbox.c.attempts)))).scalar_one()
    assert pending == 0
    assert attempts >= 1, "some events were written while NATS was down and had to be retried"


async def test_the_same_event_delivered_twice_is_applied_once(bench: Bench):
    tasks = await start_pipeline(bench)
    js = bench.nc.jetstream()
    event = activated(uuid.uuid4())
    envelope = encode_event(
        event, event_id=str(uuid.uuid4()), source="kit-test", time=datetime.now(UTC)
    )
    headers = envelope.headers()
    first = await js.publish(event.subject, envelope.data, headers=headers)
    # Same Nats-Msg-Id: JetStream itself drops the republish within its duplicate window.
    again = await js.publish(event.subject, envelope.data, headers=headers)
    assert again.duplicate and again.seq == first.seq
    # A different message id but the same event id (a republish after the window): the inbox.
    await js.publish(event.subject, envelope.data, headers={**headers, "Nats-Msg-Id": "other"})
    await bench.write()  # a marker that arrives after both copies

    applied, distinct = await bench.wait_applied(2)
    await stop(tasks)
    assert (applied, distinct) == (2, 2)


async def test_events_about_one_isp_are_applied_in_order_and_isps_concurrently(bench: Bench):
    bench.slow = True
    tasks = await start_pipeline(bench)
    js = bench.nc.jetstream()
    isps = [uuid.uuid4() for _ in range(3)]
    for n in range(60):  # interleaved: a batch holds events of every ISP
        event = activated(isps[n % 3]).model_copy(update={"slug": f"s{n:02}"})
        envelope = encode_event(
            event, event_id=str(uuid.uuid4()), source="kit-test", time=datetime.now(UTC)
        )
        await js.publish(event.subject, envelope.data, headers=envelope.headers())
    applied, _ = await bench.wait_applied(60)
    await stop(tasks)
    assert applied == 60
    for isp in isps:
        slugs = [slug for who, slug in bench.order if who == isp]
        assert slugs == sorted(slugs), f"{isp}'s events were applied out of order: {slugs}"
    assert bench.order != sorted(bench.order, key=lambda e: e[1]), (
        "different ISPs' events were applied one after another, not concurrently"
    )


async def test_a_failing_handler_changes_nothing_and_the_event_is_retried(bench: Bench):
    bench.fail_next = 1
    tasks = await start_pipeline(bench)
    await bench.write()
    applied, _ = await bench.wait_applied(1)
    await stop(tasks)
    assert applied == 1, "the failed attempt's insert was rolled back, the retry applied it once"


async def test_an_unreadable_message_is_set_aside_and_does_not_block_the_next(bench: Bench):
    tasks = await start_pipeline(bench)
    js = bench.nc.jetstream()
    await js.publish(TenantActivated.subject, b"not json", headers={"ce-specversion": "1.0"})
    await js.publish(
        TenantActivated.subject,
        b'{"isp_id": "not-a-uuid"}',
        headers=encode_event(
            activated(uuid.uuid4()), event_id=str(uuid.uuid4()), source="x", time=datetime.now(UTC)
        ).headers(),
    )
    await bench.write()
    applied, _ = await bench.wait_applied(1)
    await stop(tasks)
    assert applied == 1


async def test_the_trace_continues_from_the_writer_to_the_consumer(bench: Bench, span_exporter):
    from opentelemetry import trace

    tasks = await start_pipeline(bench)
    with trace.get_tracer("test").start_as_current_span("register isp") as producer:
        await bench.write()
    await bench.wait_applied(1)
    await stop(tasks)
    trace_id = producer.get_span_context().trace_id
    consumed = [
        s
        for s in span_exporter.get_finished_spans()
        if s.name == f"{TenantActivated.subject} process" and s.context.trace_id == trace_id
    ]
    assert len(consumed) == 1


async def test_published_events_are_purged_after_the_retention_and_pending_ones_never(bench: Bench):
    from sqlalchemy import update

    from servicekit.outbox import OutboxRelay

    outbox = bench.tables.outbox
    old, recent, pending = await bench.write(), await bench.write(), await bench.write()
    async with bench.db.unit_of_work() as s:
        await s.execute(
            update(outbox)
            .where(outbox.c.ce_subject == str(old))
            .values(published_at=func.now() - text("interval '8 days'"))
        )
        await s.execute(
            update(outbox).where(outbox.c.ce_subject == str(recent)).values(published_at=func.now())
        )
    relay = OutboxRelay(bench.db, bench.tables, js=None)  # type: ignore[arg-type]
    assert await relay.purge_published() == 1
    async with bench.db.unit_of_work() as s:
        left = set((await s.execute(select(outbox.c.ce_subject))).scalars())
    assert left == {str(recent), str(pending)}


class CountingRelay(OutboxRelay):
    """A relay that never polls on its own (its idle wait is a minute), and counts what it
    publishes: events handed over by its process's writers, and passes over the table (each
    woken by a NOTIFY in these tests, but its first at start) with what they publish."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, idle_poll_s=60.0, **kwargs)
        self.passes = 0
        self.published = 0
        self.handed = 0

    async def publish_pending(self) -> tuple[int, bool]:
        published, complete = await super().publish_pending()
        self.passes += 1
        self.published += published
        return published, complete

    async def publish_handed(self) -> bool:
        self.handed += len(self._handed)
        return await super().publish_handed()


async def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_the_writers_own_relay_publishes_its_events_and_other_relays_stay_asleep(
    bench: Bench, migrated_database: str
):
    bench.nc = await connect(bench.nats.url, name="kit-test")
    js = bench.nc.jetstream()
    await ensure_streams(js)
    elsewhere = Database(migrated_database)  # another process of the same service
    other = CountingRelay(elsewhere, bench.tables, js)
    tasks = [asyncio.create_task(other.run())]
    try:
        await wait_for(lambda: other.passes == 1)  # its first pass, at start
        # No relay runs where the event is written: the other process's relay is woken.
        await bench.write()
        await wait_for(lambda: other.published == 1)

        own = CountingRelay(bench.db, bench.tables, js)
        tasks.append(asyncio.create_task(own.run()))
        bench.outbox.hand_to(own)  # as the runtime of a process with a relay does
        await wait_for(lambda: own.passes == 1)
        passes_elsewhere = other.passes
        stream = await js.find_stream_name_by_subject(TenantActivated.subject)
        in_stream = (await js.stream_info(stream)).state.messages
        for _ in range(5):
            await bench.write()
        # The writer's relay is handed its events as they commit, publishes them without
        # reading them back, and marks them published...
        await wait_for(lambda: own.handed == 5)
        deadline = asyncio.get_running_loop().time() + 5
        while await bench.pending() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        assert await bench.pending() == 0
        assert (await js.stream_info(stream)).state.messages == in_stream + 5
        assert (own.passes, own.published) == (1, 0), "it read back events it was handed"
        await asyncio.sleep(0.3)  # ...and Postgres has long delivered the NOTIFYs elsewhere
        assert other.passes == passes_elsewhere, "a relay woke to events that were not its"
        assert other.published == 1
    finally:
        await stop(tasks)
        await elsewhere.dispose()
