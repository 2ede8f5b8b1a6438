"""Change notifications for the status read model, so a status stream wakes when its ISP's
deployment changes — in whichever registration replica consumed the event."""

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

from servicekit.notify import listen
from servicekit.runtime import Runtime
from servicekit.tasks import cancel_and_wait

CHANNEL = "registration_deployment_changed"
"""Postgres NOTIFY channel; the payload is the ISP id. The deployments repository's writes
notify on it."""


class DeploymentWatch:
    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Event]] = defaultdict(set)

    def subscribe(self, isp_id: UUID) -> asyncio.Event:
        changed = asyncio.Event()
        self._waiters[str(isp_id)].add(changed)
        return changed

    def unsubscribe(self, isp_id: UUID, changed: asyncio.Event) -> None:
        waiters = self._waiters.get(str(isp_id))
        if waiters is not None:
            waiters.discard(changed)
            if not waiters:
                del self._waiters[str(isp_id)]

    def _notified(self, isp_id: str) -> None:
        for changed in self._waiters.get(isp_id, ()):
            changed.set()

    @asynccontextmanager
    async def running(self, runtime: Runtime) -> AsyncIterator[None]:
        listener = asyncio.create_task(listen(runtime.db, CHANNEL, self._notified))
        try:
            yield
        finally:
            await cancel_and_wait(listener)
            await asyncio.gather(listener, return_exceptions=True)
