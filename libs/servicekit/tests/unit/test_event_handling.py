"""The subscriber middleware on FastStream's in-memory broker (no NATS, no Postgres): each event
applied once, unreadable ones dead-lettered, a failing handler retried, undeclared events
refused. Its work on the real servers is tested in tests/integration/test_outbox_inbox.py."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from faststream.nats import TestNatsBroker
from sqlalchemy import MetaData

from dotmac_contracts import encode_event
from dotmac_contracts.events import LicenceIssued, TenantActivated
from servicekit.messaging import messaging_tables
from servicekit.stream import Envelope, Session, event_broker, event_of, subscribe


class Inbox:
    """Stands in for the database: a unit of work whose session answers the inbox insert
    (first time or not) and records what the handlers did, kept only if it commits."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.applied: list[tuple[str, str]] = []

    @asynccontextmanager
    async def unit_of_work(self, tenant: Any = None) -> AsyncIterator["FakeSession"]:
        session = FakeSession(self)
        yield session
        self.seen |= session.seen
        self.applied += session.applied


class FakeSession:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox, self.seen, self.applied = inbox, set(), []

    async def execute(self, _statement: Any, params: dict[str, Any]) -> Any:
        first = str(params["event_id"]) not in self.inbox.seen | self.seen
        self.seen.add(str(params["event_id"]))

        class Result:
            def first(self) -> object | None:
                return object() if first else None

        return Result()


def activated(isp_id: uuid.UUID | None = None) -> TenantActivated:
    return TenantActivated(
        isp_id=isp_id or uuid.uuid4(),
        slug="acme",
        tier="basic",
        host="acme.localhost",
        activated_at=datetime.now(UTC),
    )


def headers_of(event: TenantActivated, event_id: str | None = None) -> dict[str, str]:
    return encode_event(
        event, event_id=event_id or str(uuid.uuid4()), source="test", time=datetime.now(UTC)
    ).headers()


@pytest.fixture
def service() -> tuple[Any, Any, Inbox, list[str]]:
    inbox = Inbox()
    failures: list[str] = []

    async def on_activated(event: TenantActivated, session: Session, envelope: Envelope) -> None:
        if failures:
            raise RuntimeError(failures.pop())
        session.applied.append((envelope.id, event.slug))  # type: ignore[attr-defined]

    broker, state = event_broker(
        service="test",
        nats_url="nats://127.0.0.1:1",
        db=inbox,  # type: ignore[arg-type]
        tables=messaging_tables(MetaData(schema="test")),
    )
    subscribe(broker, service="test", subscribers=[on_activated])
    return broker, state, inbox, failures


async def test_an_event_is_applied_once_however_often_it_is_delivered(service):
    broker, state, inbox, _ = service
    event, event_id = activated(), str(uuid.uuid4())
    async with TestNatsBroker(broker) as test:
        for _ in range(3):
            await test.publish(
                event.model_dump(mode="json"), event.subject, headers=headers_of(event, event_id)
            )
    assert inbox.applied == [(event_id, "acme")]
    assert (state.outcomes["handled"], state.outcomes["duplicate"]) == (1, 2)


async def test_a_subscribers_context_values_are_resolved_without_a_thread_hop(service, monkeypatch):
    """fast_depends hands what is not a coroutine to a worker thread; the session and the
    envelope a subscriber takes must come from the event loop itself (they once cost a hop
    each, per message)."""
    import fast_depends.utils

    hops: list[object] = []
    real = fast_depends.utils.run_in_threadpool

    async def counted(func, *args, **kwargs):
        hops.append(func)
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(fast_depends.utils, "run_in_threadpool", counted)
    broker, _, inbox, _ = service
    event = activated()
    async with TestNatsBroker(broker) as test:
        await test.publish(event.model_dump(mode="json"), event.subject, headers=headers_of(event))
    assert len(inbox.applied) == 1  # the handler got its session and envelope
    assert hops == []


async def test_an_unreadable_message_is_dead_lettered_and_changes_nothing(service):
    broker, state, inbox, _ = service
    event = activated()
    async with TestNatsBroker(broker) as test:
        await test.publish({"isp_id": "not-a-uuid"}, event.subject, headers=headers_of(event))
        await test.publish(event.model_dump(mode="json"), event.subject, headers={})
        bad_type = {**headers_of(event), "ce-type": LicenceIssued.subject}
        await test.publish(event.model_dump(mode="json"), event.subject, headers=bad_type)
    assert inbox.applied == [] and inbox.seen == set()
    assert state.outcomes["dead_lettered"] == 3


async def test_a_failing_handler_leaves_no_trace_and_its_event_goes_back(service):
    broker, state, inbox, failures = service
    failures.append("the handler crashed")
    event, event_id = activated(), str(uuid.uuid4())
    async with TestNatsBroker(broker) as test:
        await test.publish(
            event.model_dump(mode="json"), event.subject, headers=headers_of(event, event_id)
        )
        assert (inbox.applied, inbox.seen, state.outcomes["retried"]) == ([], set(), 1)
        await test.publish(  # the redelivery
            event.model_dump(mode="json"), event.subject, headers=headers_of(event, event_id)
        )
    assert inbox.applied == [(event_id, "acme")]


def test_a_subscriber_names_the_one_event_it_handles():
    async def on_activated(event: TenantActivated, session: Session) -> None: ...

    async def on_either(event: TenantActivated | LicenceIssued, session: Session) -> None: ...

    assert event_of(on_activated) is TenantActivated
    with pytest.raises(TypeError, match="annotated with the event"):
        event_of(on_either)


def test_one_durable_per_stream_filtered_to_the_subjects_it_handles(service):
    broker, *_ = service

    async def on_licence(event: LicenceIssued, session: Session) -> None: ...

    subscribe(broker, service="other", subscribers=[on_licence])
    durables = {s.config.durable_name: s.config.filter_subjects for s in broker.subscribers}
    assert durables == {
        "test-tenant": [TenantActivated.subject],
        "other-licensing": [LicenceIssued.subject],
    }
