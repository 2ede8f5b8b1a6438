"""What a running service holds: its database, its bus connection, its relay and consumers.

Each service's bootstrap builds one `Runtime`; the API lifespan, the stream consumers and the
tests all go through it.
"""

import asyncio
import logging
from collections.abc import Coroutine, Sequence
from typing import Any

from nats.aio.client import Client
from nats.js import JetStreamContext

from servicekit.bus import connect, ensure_streams
from servicekit.config import PlatformSettings
from servicekit.consumer import EventConsumer, Subscription
from servicekit.db import Database
from servicekit.messaging import MessagingTables
from servicekit.outbox import Outbox, OutboxRelay
from servicekit.tasks import cancel_and_wait

log = logging.getLogger(__name__)


class Runtime:
    def __init__(
        self,
        *,
        name: str,
        settings: PlatformSettings,
        tables: MessagingTables,
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
        self.outbox = Outbox(tables, source=name)
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._tasks: list[asyncio.Task[Any]] = []

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise RuntimeError(f"{self.name}: the bus is not connected; call start() first")
        return self._js

    async def start(
        self, subscriptions: Sequence[Subscription] = (), *, relay: bool = True
    ) -> None:
        self._nc = await connect(self.settings.nats_url, name=self.name)
        self._js = self._nc.jetstream()
        await ensure_streams(self._js)
        if relay:
            self.spawn(OutboxRelay(self.db, self.tables, self._js).run(), "outbox-relay")
        if subscriptions:
            consumer = EventConsumer(
                service=self.name,
                subscriptions=list(subscriptions),
                db=self.db,
                tables=self.tables,
                js=self._js,
            )
            self.spawn(consumer.run(), "event-consumer")

    def spawn(self, work: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(work, name=f"{self.name}:{name}")
        task.add_done_callback(self._report)
        self._tasks.append(task)
        return task

    def _report(self, task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s stopped", task.get_name(), exc_info=task.exception())

    async def stop(self) -> None:
        await cancel_and_wait(*self._tasks)
        self._tasks.clear()
        if self._nc is not None and not self._nc.is_closed:
            await self._nc.close()
