"""Who is waiting for an owner's next messages in this process."""

import asyncio
from uuid import UUID

from servicekit.db import Database
from servicekit.notify import listen_elsewhere
from webhooks.fanout.service import MESSAGES_CHANNEL


class Listeners:
    """The event streams of this process, woken when an owner's messages commit (any
    process's: by the NOTIFY the fan-out sends)."""

    def __init__(self) -> None:
        self._waiting: dict[str, set[asyncio.Event]] = {}

    def heard(self, owner: str) -> None:
        for event in self._waiting.get(owner, ()):
            event.set()

    def follow(self, owner: UUID | None) -> tuple[str, asyncio.Event]:
        key, event = str(owner) if owner else "", asyncio.Event()
        self._waiting.setdefault(key, set()).add(event)
        return key, event

    def leave(self, key: str, event: asyncio.Event) -> None:
        waiting = self._waiting.get(key)
        if waiting is not None:
            waiting.discard(event)
            if not waiting:
                del self._waiting[key]

    async def run(self, db: Database) -> None:
        await listen_elsewhere(db, MESSAGES_CHANNEL, self.heard)
