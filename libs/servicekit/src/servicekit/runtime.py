"""What every process of a service holds: its database, its outbox and relay, and its event
broker (FastStream) with the service's subscribers on it.

Each service's `bootstrap` builds one `Runtime`; its entry points (`api`, `stream`, `worker`)
and the tests all go through it. `running()` is the part every process runs whatever its
roles: the database pool and the outbox relay on a NATS connection of its own. The broker's
subscribers run only in a process with the `stream` role (`stream_app`, `servicekit.serving`).
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine, Iterable
from contextlib import asynccontextmanager
from typing import Any

from faststream.asgi import AsgiFastStream
from faststream.nats import NatsBroker
from faststream.nats.prometheus import NatsPrometheusMiddleware
from nats.aio.client import Client
from nats.js import JetStreamContext
from prometheus_client import REGISTRY

from dotmac_contracts import Event
from servicekit.bus import connect, ensure_consumers, ensure_streams
from servicekit.config import PlatformSettings
from servicekit.db import Database
from servicekit.messaging import MessagingTables
from servicekit.metrics import (
    CONSUMER_ACK_PENDING,
    CONSUMER_PENDING,
    CONSUMER_REDELIVERED,
    POOLS,
    configure_metrics,
    metrics_enabled,
)
from servicekit.outbox import Outbox, OutboxRelay
from servicekit.stream import EventHandlingState, Subscriber, event_broker, stream_app, subscribe
from servicekit.tasks import cancel_and_wait
from servicekit.telemetry import tracing_enabled

log = logging.getLogger(__name__)
CONSUMER_METRICS_EVERY_S = 15.0


class Runtime:
    def __init__(
        self,
        *,
        name: str,
        settings: PlatformSettings,
        tables: MessagingTables,
        publishes: Iterable[type[Event]] | None = None,
        subscribers: Iterable[Subscriber] = (),
        database_url: str | None = None,
    ) -> None:
        self.name = name
        self.settings = settings
        self.tables = tables
        # A service may connect as a role of its own (one that row-level security binds),
        # while its migrations run as the schema's owner.
        self.db = Database(
            database_url or settings.database_url, connections=settings.database_connections
        )
        configure_metrics(settings)
        if metrics_enabled():
            POOLS.watch(self.db.engine)
        self.publishes = tuple(publishes or ())
        """What the service says it publishes: its outbox refuses any other event (None: any,
        for tools and tests that stand in for a service)."""
        self.outbox = Outbox(
            tables, source=name, publishes=None if publishes is None else self.publishes
        )
        middlewares: list[Any] = []
        if metrics_enabled():
            # faststream_received_messages_total, _processed_messages_duration_seconds ... per
            # subject and status, at /metrics (app_name: the service)
            middlewares.append(NatsPrometheusMiddleware(registry=REGISTRY, app_name=name))
        if tracing_enabled():
            from faststream.nats.opentelemetry import NatsTelemetryMiddleware

            middlewares.append(NatsTelemetryMiddleware())
        self.broker: NatsBroker
        self.events: EventHandlingState
        self.broker, self.events = event_broker(
            service=name,
            nats_url=settings.nats_url,
            db=self.db,
            tables=tables,
            middlewares=middlewares,
        )
        self.broker.context.set_global("outbox", self.outbox)
        self.subscribers = tuple(subscribers)
        subscribe(self.broker, service=name, subscribers=self.subscribers)
        for event in self.publishes:  # for the AsyncAPI document: what this service sends
            self.broker.publisher(
                event.subject,
                schema=event,
                title=event.subject,
                description=(event.__doc__ or event.__name__).strip().splitlines()[0],
                include_in_schema=True,
            )
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._tasks: list[asyncio.Task[Any]] = []

    @property
    def nats(self) -> Client:
        """The process's NATS connection, for plain subscriptions (live telemetry)."""
        if self._nc is None:
            raise RuntimeError(f"{self.name}: the bus is not connected; run it first")
        return self._nc

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise RuntimeError(f"{self.name}: the bus is not connected; run it first")
        return self._js

    @asynccontextmanager
    async def running(self, *, relay: bool = True, open_pool: bool = False) -> AsyncIterator[None]:
        """The database, the bus connection and (unless `relay=False`) the outbox relay, until
        the block ends. `open_pool` opens every connection of the pool at once (a served
        process, which would keep them after its first burst anyway)."""
        try:
            if open_pool:
                # Warmed with the service's own tables (those of its outbox's metadata).
                await self.db.open_all(warm=self.tables.outbox.metadata.tables.values())
            self._nc = await connect(self.settings.nats_url, name=self.name)
            self._js = self._nc.jetstream()
            await ensure_streams(self._js)
            if relay:
                outbox_relay = OutboxRelay(self.db, self.tables, self._js)
                self.spawn(outbox_relay.run(), "outbox-relay")
                self.outbox.hand_to(outbox_relay)
            if self.subscribers and metrics_enabled():
                self.spawn(self._measure_consumers(), "consumer-metrics")
            yield
        finally:
            self.outbox.hand_to(None)
            await cancel_and_wait(*self._tasks)
            self._tasks.clear()
            if self._nc is not None and not self._nc.is_closed:
                await self._nc.close()
            self._nc = self._js = None
            await self.db.dispose()

    def stream_app(self, *, title: str, description: str) -> AsgiFastStream:
        """The service's subscribers as a FastStream app (`entrypoints/stream.py`): entered
        within `running()`, it brings their durable consumers up to date and starts them."""

        async def ensure_durables() -> None:
            await ensure_consumers(self.js, self.broker)

        return stream_app(
            self.broker, title=title, description=description, before_start=[ensure_durables]
        )

    def spawn(self, work: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run `work` for as long as the runtime runs; a failure is logged."""
        task = asyncio.create_task(work, name=f"{self.name}:{name}")
        task.add_done_callback(self._report)
        self._tasks.append(task)
        return task

    async def _measure_consumers(self) -> None:
        """Every 15 s, each of this service's durable consumers' lag, unacknowledged and
        redelivered messages, as JetStream counts them."""
        durables = []
        for subscriber in self.broker.subscribers:
            stream = getattr(subscriber, "stream", None)
            durable = getattr(getattr(subscriber, "config", None), "durable_name", None)
            if stream is not None and durable:
                durables.append((stream.name, durable))
        while True:
            for stream, durable in durables:
                try:
                    info = await self.js.consumer_info(stream, durable)
                except Exception:  # not created yet (the stream role creates it), or NATS away
                    continue
                CONSUMER_PENDING.labels(durable).set(info.num_pending or 0)
                CONSUMER_ACK_PENDING.labels(durable).set(info.num_ack_pending or 0)
                CONSUMER_REDELIVERED.labels(durable).set(info.num_redelivered or 0)
            await asyncio.sleep(CONSUMER_METRICS_EVERY_S)

    def _report(self, task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s stopped", task.get_name(), exc_info=task.exception())
