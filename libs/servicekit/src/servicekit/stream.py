"""A service's event subscribers, on FastStream: each event's effect applied once, in order.

A subscriber is a small typed function; its first parameter's annotation is the event it
handles, and it may take the unit of work's session and the event's envelope:

    async def on_started(event: DeploymentStarted, session: Session) -> None: ...

`subscribe` puts a service's subscribers on a `NatsBroker` as one durable pull consumer per
JetStream stream they read (`<service>-<stream>`, filtered to their subjects), so the events of
one stream reach the service in the order the stream holds them. What FastStream does not do
for us is one middleware, `EventHandling`, around every message:

- the handler runs inside a unit of work together with the inbox insert of the event id, and
  the message is acked only once that commits: a redelivered or republished event finds its id
  in the inbox and is acked without running the handler again;
- a handler that raises leaves no trace, and the message is redelivered with backoff;
- a message that cannot be read (no CloudEvents envelope, a body its model refuses) is
  dead-lettered: redelivery could not fix it, so it is terminated, logged and counted;
- events about the same entity (the CloudEvents subject: an ISP) are applied one at a time in
  the order fetched, and once one fails the ones after it go back too, so that none overtakes
  it; events about different entities are applied concurrently.
"""

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from json import JSONDecodeError
from types import TracebackType
from typing import Annotated, Any, get_type_hints
from urllib.parse import unquote

from fast_depends.exceptions import ValidationError as DependencyValidationError
from faststream import ContextRepo
from faststream._internal.context import Context as ContextField
from faststream._internal.middlewares import BaseMiddleware
from faststream.asgi import AsgiFastStream, make_ping_asgi
from faststream.exceptions import SubscriberNotFound
from faststream.message import StreamMessage
from faststream.middlewares import AckPolicy
from faststream.nats import ConsumerConfig, DeliverPolicy, JStream, NatsBroker, PullSub
from faststream.specification import AsyncAPI
from nats.aio.msg import Msg
from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts import EVENTS, CloudEvent, Event, stream_for_subject
from dotmac_contracts.asyncapi import ENVELOPE_HEADERS
from dotmac_contracts.envelope import MalformedEnvelope
from servicekit.db import Database, param
from servicekit.logs import about_tenant
from servicekit.messaging import MessagingTables
from servicekit.outbox import Outbox

log = logging.getLogger(__name__)


class ContextValue(ContextField):
    """FastStream's `Context(...)`, resolved on the event loop. fast_depends runs a custom
    field whose `use` is a plain function on a worker thread: with FastStream's own, every
    context parameter of every message cost a thread hop. (Its class is internal to FastStream;
    `test_event_handling` shows the values still arrive.)"""

    async def use(self, /, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        return super().use(**kwargs)


Session = Annotated[AsyncSession, ContextValue("session")]
"""The unit of work the event is applied in; it commits (with the inbox record) after the
handler returns."""
Envelope = Annotated[CloudEvent, ContextValue("envelope")]
"""The event's CloudEvents attributes: its id, source, time and subject."""
EventOutbox = Annotated[Outbox, ContextValue("outbox")]
"""The service's outbox, for the events a subscriber publishes in turn."""

Subscriber = Callable[..., Awaitable[None]]

UNREADABLE: tuple[type[BaseException], ...] = (
    MalformedEnvelope,
    ValidationError,
    DependencyValidationError,
    JSONDecodeError,
    UnicodeDecodeError,
)
"""What redelivery cannot fix: such a message is dead-lettered instead of retried."""


def event_of(subscriber: Subscriber) -> type[Event]:
    """The event a subscriber handles: its first parameter's annotation."""
    hints = get_type_hints(subscriber)
    hints.pop("return", None)
    first = next(iter(hints.values()), None)
    if not (isinstance(first, type) and issubclass(first, Event)):
        raise TypeError(
            f"{subscriber.__qualname__}: its first parameter must be annotated with the event "
            f"it handles, not {first!r}"
        )
    return first


def durable_name(service: str, stream: str) -> str:
    return f"{service}-{stream.lower()}"


class EventFailed(Exception):
    """An earlier event about the same entity in this batch failed: this one waits for it."""


@dataclass
class _Line:
    """The events about one entity that are being applied, one at a time."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0
    failed: bool = False


@dataclass
class EventHandlingState:
    """What the middleware instances of one broker share: the database, the inbox statement,
    the per-entity lines and what happened to the messages so far."""

    service: str
    db: Database
    tables: MessagingTables
    max_deliver: int
    outcomes: Counter[str] = field(default_factory=Counter)
    """handled, duplicate, retried, dead_lettered, ignored: for tests and metrics."""
    _lines: dict[tuple[str, str], _Line] = field(default_factory=dict)

    def __post_init__(self) -> None:
        inbox = self.tables.inbox
        self.first_time = (
            insert(inbox)
            .values(
                consumer=param(inbox.c.consumer),
                event_id=param(inbox.c.event_id),
                subject=param(inbox.c.subject),
            )
            .on_conflict_do_nothing()
            .returning(inbox.c.event_id)
        )

    async def enter(self, key: tuple[str, str]) -> _Line:
        line = self._lines.get(key)
        if line is None:
            line = self._lines[key] = _Line()
        line.users += 1
        await line.lock.acquire()
        return line

    def leave(self, key: tuple[str, str], line: _Line, *, failed: bool) -> None:
        line.failed |= failed
        line.users -= 1
        line.lock.release()
        if line.users == 0:
            del self._lines[key]


class EventHandling(BaseMiddleware[Any, Any]):
    """Inbox, unit of work, acknowledgement and per-entity order around one message (see the
    module's docstring). Built by FastStream for each message it receives."""

    msg: Msg

    def __init__(
        self, msg: Msg | None, /, *, context: ContextRepo, state: EventHandlingState
    ) -> None:
        super().__init__(msg, context=context)  # None when FastStream publishes
        self.state = state
        self.durable = ""
        self.key = ("", "")
        self.line: _Line | None = None
        self.applied = False

    async def on_receive(self) -> None:
        self.durable = durable_name(self.state.service, _stream_name(self.msg.subject))
        self.key = (self.durable, (self.msg.headers or {}).get("ce-subject", ""))
        # Before any await that could let a later message of the batch overtake this one.
        self.line = await self.state.enter(self.key)

    async def consume_scope(
        self, call_next: Callable[[Any], Awaitable[Any]], msg: StreamMessage[Msg]
    ) -> Any:
        if self.line is not None and self.line.failed:
            raise EventFailed("an earlier event about the same entity failed")
        envelope = CloudEvent.from_headers(msg.headers, msg.body)
        if envelope.type != self.msg.subject:
            raise MalformedEnvelope(f"ce-type {envelope.type!r} on subject {self.msg.subject}")
        result = None
        async with self.state.db.unit_of_work() as session:
            first_time = (
                await session.execute(
                    self.state.first_time,
                    {"consumer": self.durable, "event_id": envelope.id, "subject": envelope.type},
                )
            ).first()
            if first_time is None:
                self.state.outcomes["duplicate"] += 1
            else:
                with (
                    self.context.scope("session", session),
                    self.context.scope("envelope", envelope),
                    about_tenant(envelope.subject),
                ):
                    result = await call_next(msg)
                self.state.outcomes["handled"] += 1
        self.applied = True
        return result

    async def after_processed(
        self,
        exc_type: type[BaseException] | None = None,
        exc_val: BaseException | None = None,
        exc_tb: TracebackType | None = None,
    ) -> bool:
        failed = False
        try:
            if exc_val is None or isinstance(exc_val, SubscriberNotFound):
                if not self.applied:  # a subject none of the service's subscribers handles
                    self.state.outcomes["ignored"] += 1
                await self.msg.ack()
            elif isinstance(exc_val, UNREADABLE):
                log.error(
                    "%s: dead-lettering an unreadable message on %s: %s",
                    self.durable,
                    self.msg.subject,
                    exc_val,
                )
                self.state.outcomes["dead_lettered"] += 1
                await self.msg.term()
            elif isinstance(exc_val, Exception):
                failed = True
                attempt = _attempt(self.msg)
                if not isinstance(exc_val, EventFailed):
                    log.error(
                        "%s: handling %s failed (attempt %d of %d)",
                        self.durable,
                        (self.msg.headers or {}).get("ce-id", "?"),
                        attempt,
                        self.state.max_deliver,
                        exc_info=exc_val,
                    )
                self.state.outcomes["retried"] += 1
                await self.msg.nak(delay=min(0.2 * 2**attempt, 30.0))
            else:
                return False  # cancellation and the like: not ours to swallow
        except Exception:
            log.warning("%s: could not settle a message", self.durable, exc_info=True)
        finally:
            if self.line is not None:
                self.state.leave(self.key, self.line, failed=failed)
                self.line = None
        return True


def _stream_name(subject: str) -> str:
    try:
        return stream_for_subject(subject).name
    except ValueError:
        return "unknown"


def _attempt(msg: Msg) -> int:
    try:
        return msg.metadata.num_delivered
    except Exception:  # not a JetStream message (in-memory tests)
        return 1


def event_broker(
    *,
    service: str,
    nats_url: str,
    db: Database,
    tables: MessagingTables,
    max_deliver: int = 50,
    middlewares: Sequence[Any] = (),
) -> tuple[NatsBroker, EventHandlingState]:
    """The service's broker: connected to `nats_url`, reconnecting for as long as the process
    lives, with `EventHandling` (innermost, after `middlewares` such as telemetry) around
    every message its subscribers receive."""
    state = EventHandlingState(service=service, db=db, tables=tables, max_deliver=max_deliver)

    def handling(msg: Any, /, *, context: ContextRepo) -> EventHandling:
        return EventHandling(msg, context=context, state=state)

    broker = NatsBroker(
        nats_url,
        name=service,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.25,  # type: ignore[arg-type]  # seconds: nats-py takes a float
        # First, so that nothing can suspend a message before it takes its place in line.
        middlewares=[handling, *middlewares],
        graceful_timeout=10.0,
        log_level=logging.DEBUG,
    )
    return broker, state


def subscribe(
    broker: NatsBroker,
    *,
    service: str,
    subscribers: Sequence[Subscriber],
    max_workers: int = 16,
    max_deliver: int = 50,
) -> list[Any]:
    """Put `subscribers` on `broker`: one durable pull consumer per stream they read.

    Each fetch takes one message and hands it to up to `max_workers` concurrent handlers, so an
    event is handled as it arrives (a fetch of several waits for all of them, or its timeout)
    and a backlog is still worked through concurrently."""
    by_event: dict[str, Subscriber] = {}
    for subscriber in subscribers:
        subject = event_of(subscriber).subject
        if subject in by_event:
            raise ValueError(f"{service}: two subscribers of {subject}")
        by_event[subject] = subscriber
    consumers = []
    by_stream = sorted(by_event, key=lambda s: stream_for_subject(s).name)
    for stream, group in groupby(by_stream, key=lambda s: stream_for_subject(s).name):
        subjects = sorted(group)
        durable = durable_name(service, stream)
        consumer = broker.subscriber(
            stream=JStream(stream, declare=False),
            config=ConsumerConfig(
                durable_name=durable,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=30,
                max_deliver=max_deliver,
                filter_subjects=subjects,
            ),
            durable=durable,
            pull_sub=PullSub(batch_size=1, timeout=5.0),
            max_workers=max_workers,
            ack_policy=AckPolicy.MANUAL,
            title=durable,
            description=f"{service} applies these {stream} events",
        )
        for subject in subjects:
            consumer(by_event[subject], filter=on_subject(subject))
        consumers.append(consumer)
    return consumers


def on_subject(subject: str) -> Callable[[StreamMessage[Msg]], Awaitable[bool]]:
    """The filter that picks a consumer's handler for a message. A coroutine: FastStream runs
    a plain function filter on a worker thread, a hop per handler tried per message."""

    async def matches(message: StreamMessage[Msg]) -> bool:
        return message.raw_message.subject == subject

    return matches


def stream_app(
    broker: NatsBroker,
    *,
    title: str,
    description: str,
    before_start: Sequence[Callable[[], Awaitable[None]]] = (),
) -> AsgiFastStream:
    """A service's subscribers as a FastStream app of their own: entered (`async with`), it
    runs `before_start` and starts them; it answers `/healthz` (the broker reaches NATS) and
    serves its AsyncAPI document at `/asyncapi`."""
    return AsgiFastStream(
        broker,
        asgi_routes=[("/healthz", make_ping_asgi(broker, timeout=5.0))],
        on_startup=list(before_start),
        specification=asyncapi_of(broker, title=title, description=description),
        asyncapi_path="/asyncapi",
    )


def asyncapi_of(broker: NatsBroker, *, title: str, description: str) -> AsyncAPI:
    """The AsyncAPI document of what a service's broker receives (its subscribers) and sends
    (the publishers it declares for the events its outbox stages)."""
    return AsyncAPI(broker, title=title, version="1.0.0", description=description)


def asyncapi_document(app: AsgiFastStream) -> dict[str, Any]:
    """A service's AsyncAPI document, as FastStream generates it from its subscribers and
    declared publishers, with two things FastStream cannot know: each channel carries the one
    event of its subject (FastStream lists every event of the consumer on each of its
    subjects), and every message carries the CloudEvents headers."""
    specification = app.schema
    assert specification is not None
    document: dict[str, Any] = specification.to_specification().to_jsonable()
    components = document.setdefault("components", {})
    messages = components.setdefault("messages", {})
    for channel in document.get("channels", {}).values():
        model = EVENTS.get(channel.get("address", ""))
        for reference in channel.get("messages", {}).values():
            message = messages.get(unquote(reference["$ref"].rsplit("/", 1)[-1]))
            if message is None:
                continue
            if model is not None:
                message["payload"] = {"$ref": f"#/components/schemas/{model.__name__}"}
            message.pop("correlationId", None)  # FastStream's own header; events carry ce-id
            message["headers"] = {"$ref": "#/components/schemas/CloudEventHeaders"}
    schemas = components.setdefault("schemas", {})
    schemas["CloudEventHeaders"] = ENVELOPE_HEADERS
    used = json.dumps({k: v for k, v in document.items() if k != "components"}) + json.dumps(
        messages
    )
    for name in list(schemas):  # payloads no channel carries any longer
        if name in EVENTS_BY_NAME and f"#/components/schemas/{name}" not in used:
            del schemas[name]
    # In a stable order, whatever order FastStream met the subscribers and publishers in.
    for key in ("channels", "operations"):
        document[key] = dict(sorted(document.get(key, {}).items()))
    for key in ("messages", "schemas"):
        components[key] = dict(sorted(components[key].items()))
    return document


EVENTS_BY_NAME = {model.__name__: model for model in EVENTS.values()}
