"""Timers kept in Postgres rather than in a process: what is due is a row, and every replica
looks for due rows now and then, claiming them FOR UPDATE SKIP LOCKED."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from servicekit.runtime import Runtime
from servicekit.tasks import cancel_and_wait

log = logging.getLogger(__name__)


class DurableTimer:
    """What every timer kept in Postgres shares: each replica looks every `interval_s` for
    due rows (`tick`, claiming them FOR UPDATE SKIP LOCKED) until none is left."""

    name = "timer"

    def __init__(self, interval_s: float = 300) -> None:
        self.interval_s = interval_s

    async def tick(self, runtime: Runtime, now: datetime | None = None, batch: int = 20) -> int:
        """Do what is due for up to `batch` ISPs: how many were done."""
        raise NotImplementedError

    async def run(self, runtime: Runtime) -> None:
        while True:
            try:
                while await self.tick(runtime):
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning(
                    "%s: looking for what is due failed; trying again", self.name, exc_info=True
                )
            await asyncio.sleep(self.interval_s)

    @asynccontextmanager
    async def kept_running(self, runtime: Runtime) -> AsyncIterator[None]:
        task = runtime.spawn(self.run(runtime), self.name)
        yield
        await cancel_and_wait(task)
