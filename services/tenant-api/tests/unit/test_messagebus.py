"""The message bus on its own: events reach every handler subscribed to them, in the order
raised (and those raised by handlers after), when the unit of work flushes; a command has
exactly one handler, whose answer comes back."""

import uuid
from datetime import UTC, datetime

import pytest

from tenant_api import messages
from tenant_api.messagebus import MessageBus, UnitOfWork
from tenant_api.vocabulary import CustomerStatus


class Flushes:
    """Stands in for the session: the bus only asks it to flush."""

    def __init__(self) -> None:
        self.flushes = 0

    async def flush(self) -> None:
        self.flushes += 1


def work(bus: MessageBus) -> UnitOfWork:
    return UnitOfWork(Flushes(), uuid.uuid4(), bus, datetime.now(UTC))  # type: ignore[arg-type]


async def test_recorded_events_reach_their_handlers_on_flush_in_order():
    bus, seen = MessageBus(), []
    customer = uuid.uuid4()

    async def first(w, event):
        seen.append(("first", type(event).__name__))
        if isinstance(event, messages.CustomerCreated):  # a handler may raise events in turn
            w.record(messages.TicketOpened(uuid.uuid4(), event.customer_id, "automation:x"))

    async def second(w, event):
        seen.append(("second", type(event).__name__))

    bus.subscribe(messages.CustomerCreated, first)
    bus.subscribe(messages.CustomerCreated, second)
    bus.subscribe(messages.TicketOpened, first)
    uow = work(bus)
    uow.record(messages.CustomerCreated(customer, "user:1"))
    uow.record(
        messages.CustomerStatusChanged(
            customer, CustomerStatus.LEAD, CustomerStatus.ACTIVE, None, "user:1"
        )
    )
    assert seen == []  # recorded, not yet handled
    await uow.flush()
    assert seen == [
        ("first", "CustomerCreated"),
        ("second", "CustomerCreated"),
        ("first", "TicketOpened"),
    ]  # nobody subscribed to CustomerStatusChanged: it is dropped, not an error
    await uow.flush()
    assert len(seen) == 3  # each event is handled once


async def test_a_command_has_one_handler_and_its_answer_comes_back():
    bus = MessageBus()

    async def tag(w, command):
        return f"tagged {command.tag}"

    bus.register(messages.TagCustomer, tag)
    with pytest.raises(ValueError, match="has a handler already"):
        bus.register(messages.TagCustomer, tag)
    uow = work(bus)
    assert await uow.execute(messages.TagCustomer(uuid.uuid4(), "vip")) == "tagged vip"
    with pytest.raises(LookupError, match="CommentOnTicket"):
        await uow.execute(messages.CommentOnTicket(uuid.uuid4(), "hi", "user:1"))
