"""How tenant-api's contexts react to each other without importing each other.

A service function that changes something others may care about records a domain event on the
unit of work (`work.record(CustomerStatusChanged(...))`); when it flushes (`await work.flush()`),
the bus hands each event to the handlers the composition root subscribed to it — automations,
billing — inside the same transaction, so their changes commit with the one that caused them or
not at all. A context that needs another to act (an automation opening a ticket) sends it a
command (`await work.execute(OpenTicket(...))`), which has exactly one handler.

Events and commands are plain data in `tenant_api.messages`: the kernel's shared words, so the
context that raises one and the context that handles it never meet. (Cosmic Python ch. 8 to 10,
with handlers run in the unit of work rather than after it: automations' actions belong to the
change that triggered them.)
"""

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tenant_api.messages import Command, Event

EventHandler = Callable[["UnitOfWork", Any], Awaitable[None]]
CommandHandler = Callable[["UnitOfWork", Any], Awaitable[Any]]


class MessageBus:
    """Which handlers react to each domain event, and which carries out each command."""

    def __init__(self) -> None:
        self._reactions: defaultdict[type[Event], list[EventHandler]] = defaultdict(list)
        self._commands: dict[type[Command], CommandHandler] = {}

    def subscribe(self, event: type[Event], handler: EventHandler) -> None:
        self._reactions[event].append(handler)

    def register(self, command: type[Command], handler: CommandHandler) -> None:
        if command in self._commands:
            raise ValueError(f"{command.__name__} has a handler already")
        self._commands[command] = handler

    async def publish(self, work: "UnitOfWork", event: Event) -> None:
        for handler in self._reactions.get(type(event), ()):
            await handler(work, event)

    async def execute(self, work: "UnitOfWork", command: Command) -> Any:
        try:
            handler = self._commands[type(command)]
        except KeyError:
            raise LookupError(f"nothing carries out {type(command).__name__}") from None
        return await handler(work, command)


@dataclass
class UnitOfWork:
    """One request's (or one job's) transaction at one ISP, and the domain events it raised."""

    session: AsyncSession
    tenant_id: UUID
    bus: MessageBus
    now: datetime
    _raised: list[Event] = field(default_factory=list)

    def record(self, event: Event) -> None:
        self._raised.append(event)

    async def flush(self) -> None:
        """Write what changed, then let the handlers react to the events raised so far (and to
        any they raise in turn), in the order raised."""
        await self.session.flush()
        while self._raised:
            await self.bus.publish(self, self._raised.pop(0))
        await self.session.flush()

    async def execute(self, command: Command) -> Any:
        return await self.bus.execute(self, command)
