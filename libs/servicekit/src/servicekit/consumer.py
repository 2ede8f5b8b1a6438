"""Durable JetStream consumers with an inbox: each event's effect is applied once.

A handler runs inside a unit of work together with the inbox insert of the event id; the message
is acked only after that commits. A redelivered or republished event finds its id in the inbox
and is acked without running the handler again. A handler that raises leaves no trace and the
message is redelivered with backoff. Within a fetched batch, events about the same entity (the
CloudEvents subject: an ISP) are applied in order in one transaction, events about different
entities concurrently.
"""

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry import trace
from opentelemetry.propagate import extract
from opentelemetry.trace import SpanKind
from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts import CloudEvent, Event, decode_event, stream_for_subject
from dotmac_contracts.envelope import MalformedEnvelope, UnknownEventType
from servicekit.db import Database, param
from servicekit.messaging import MessagingTables
from servicekit.tasks import stop_if_asked

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

Handler = Callable[[AsyncSession, Any, CloudEvent], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    event: type[Event]
    handler: Handler


class EventConsumer:
    """One durable pull consumer per stream the subscriptions touch, named `<service>-<stream>`."""

    def __init__(
        self,
        *,
        service: str,
        subscriptions: list[Subscription],
        db: Database,
        tables: MessagingTables,
        js: JetStreamContext,
        batch_size: int = 32,
        max_deliver: int = 50,
    ) -> None:
        self._service = service
        self._handlers = {s.event.subject: s.handler for s in subscriptions}
        self._db = db
        inbox = tables.inbox
        self._first_time = (
            insert(inbox)
            .values(
                consumer=param(inbox.c.consumer),
                event_id=param(inbox.c.event_id),
                subject=param(inbox.c.subject),
            )
            .on_conflict_do_nothing()
            .returning(inbox.c.event_id)
        )
        self._js = js
        self._batch_size = batch_size
        self._max_deliver = max_deliver

    def durables(self) -> dict[str, tuple[str, list[str]]]:
        """durable name -> (stream, filter subjects)."""
        by_stream = sorted(self._handlers, key=lambda s: stream_for_subject(s).name)
        return {
            f"{self._service}-{stream.lower()}": (stream, sorted(subjects))
            for stream, subjects in groupby(by_stream, key=lambda s: stream_for_subject(s).name)
        }

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            for durable, (stream, subjects) in self.durables().items():
                group.create_task(self._consume(durable, stream, subjects), name=durable)

    async def _consume(self, durable: str, stream: str, subjects: list[str]) -> None:
        config = ConsumerConfig(
            durable_name=durable,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=30,
            max_deliver=self._max_deliver,
            filter_subjects=subjects,
        )
        while True:
            stop_if_asked()
            try:
                await self._js.add_consumer(stream, config=config)
                subscription = await self._js.pull_subscribe_bind(durable=durable, stream=stream)
                break
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("%s: cannot bind consumer yet; retrying", durable, exc_info=True)
                await asyncio.sleep(1.0)
        while True:
            stop_if_asked()
            try:
                messages = await self._next_batch(subscription)
            except TimeoutError:
                continue
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.debug("%s: fetch failed (%r); retrying", durable, e)
                await asyncio.sleep(0.5)
                continue
            await self._handle_batch(durable, messages)

    async def _next_batch(self, subscription: JetStreamContext.PullSubscription) -> list[Msg]:
        """Wait for one message, then take whatever else is already waiting.

        A single `fetch(n)` that has to wait returns only when n messages came or its timeout
        ran out, so a lone event could sit seconds in an idle consumer. Waiting for one returns
        as it arrives; the follow-up fetch finds the backlog without waiting for more.
        """
        first = await subscription.fetch(1, timeout=5)
        try:
            rest = await subscription.fetch(self._batch_size - 1, timeout=0.05)
        except TimeoutError:
            rest = []
        return first + rest

    async def _handle_batch(self, durable: str, messages: list[Msg]) -> None:
        """Events about one entity are applied in order, in one transaction; events about
        different entities at once."""
        by_entity: dict[str, list[Msg]] = defaultdict(list)
        for message in messages:
            by_entity[(message.headers or {}).get("ce-subject", "")].append(message)
        await asyncio.gather(*(self.handle_group(durable, group) for group in by_entity.values()))

    async def handle(self, durable: str, message: Msg) -> None:
        await self.handle_group(durable, [message])

    async def handle_group(self, durable: str, messages: list[Msg]) -> None:
        """Apply messages in order in one unit of work; ack them all once it commits, or
        redeliver them all if any handler fails (none of their effects remain)."""
        work: list[tuple[Msg, CloudEvent, Event, Handler]] = []
        for message in messages:
            try:
                envelope = CloudEvent.from_headers(message.headers, message.data)
                event = decode_event(envelope)
            except (MalformedEnvelope, UnknownEventType, ValidationError) as poison:
                # Redelivery cannot fix a message that does not parse: keep it out of the way.
                log.error(
                    "%s: dropping unreadable message on %s: %s", durable, message.subject, poison
                )
                await message.term()
                continue
            handler = self._handlers.get(envelope.type)
            if handler is None:
                await message.ack()
                continue
            work.append((message, envelope, event, handler))
        if not work:
            return
        try:
            async with self._db.unit_of_work() as session:
                for message, envelope, event, handler in work:
                    await self._apply(session, durable, message, envelope, event, handler)
        except asyncio.CancelledError:
            raise
        except Exception:
            for message, envelope, *_ in work:
                attempt = message.metadata.num_delivered if message.metadata else 1
                log.exception("%s: handling %s failed (attempt %d)", durable, envelope.id, attempt)
                await message.nak(delay=min(0.2 * 2**attempt, 30.0))
            return
        for message, *_ in work:
            await message.ack()

    async def _apply(
        self,
        session: AsyncSession,
        durable: str,
        message: Msg,
        envelope: CloudEvent,
        event: Event,
        handler: Handler,
    ) -> None:
        with tracer.start_as_current_span(
            f"{envelope.type} process",
            context=extract(envelope.trace_headers),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "nats",
                "messaging.destination.name": message.subject,
                "messaging.message.id": envelope.id,
                "messaging.consumer.group.name": durable,
                "cloudevents.event_type": envelope.type,
            },
        ) as span:
            first_time = (
                await session.execute(
                    self._first_time,
                    {"consumer": durable, "event_id": envelope.id, "subject": envelope.type},
                )
            ).first()
            if first_time is None:
                span.set_attribute("dotmac.duplicate", True)
                return
            try:
                await handler(session, event, envelope)
            except Exception as error:
                span.record_exception(error)
                raise
