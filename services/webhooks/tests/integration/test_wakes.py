"""The dispatchers are woken (a NOTIFY on their channel) only by a transaction that made
deliveries: not by a message nobody wants — most ISPs have no endpoints, and under load the
claims those wakes ran for nothing cost the process ~15% of its CPU — but at once by one that
somebody wants, by a replay and by a test event. Event streams still hear every new message.

Here the dispatcher's idle poll is made a minute long, so a delivery that arrives within
seconds was taken because its wake was heard."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from dotmac_contracts.events import CustomerCreated
from webhooks.delivery import dispatcher
from webhooks.fanout.service import DELIVERIES_CHANNEL, MESSAGES_CHANNEL

pytestmark = pytest.mark.integration

BASE = "/api/v1/webhooks/operator"
SETTLE_S = 0.5
"""Long enough for a NOTIFY committed with the one just heard to be heard too."""


@dataclass
class Heard:
    """The payloads NOTIFYed on the webhooks' channels, as another process hears them."""

    messages: list[str] = field(default_factory=list)
    deliveries: list[str] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def on_notify(self, _connection: Any, _pid: int, channel: str, payload: str) -> None:
        (self.deliveries if channel == DELIVERIES_CHANNEL else self.messages).append(payload)
        self.changed.set()

    async def until(self, check: Callable[[], bool], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not check():
                self.changed.clear()
                await self.changed.wait()


@pytest.fixture
async def heard(webhooks_api: Any, postgres: Any) -> AsyncIterator[Heard]:
    connection = await asyncpg.connect(postgres.dsn)
    found = Heard()
    await connection.add_listener(MESSAGES_CHANNEL, found.on_notify)
    await connection.add_listener(DELIVERIES_CHANNEL, found.on_notify)
    yield found
    await connection.close()


@pytest.fixture
async def slow_poll(webhooks_api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The running dispatcher looks for due deliveries on its own only once a minute."""
    usual = dispatcher.IDLE_POLL_S
    monkeypatch.setattr(dispatcher, "IDLE_POLL_S", 60.0)
    await asyncio.sleep(usual + 0.3)  # the short wait under way when it changed runs out


def customer_created(isp_id: uuid.UUID) -> CustomerCreated:
    return CustomerCreated(
        isp_id=isp_id,
        customer_id=uuid.uuid4(),
        account_number="C-0001",
        name="Ada Lovelace",
        email=None,
        status="active",
        by="test",
        created_at=datetime.now(UTC),
    )


async def test_a_message_nobody_wants_does_not_wake_the_dispatchers(publish, heard):
    isp_id = uuid.uuid4()  # an ISP without endpoints, as most are

    await publish(customer_created(isp_id))
    await heard.until(lambda: str(isp_id) in heard.messages)  # its streams were told
    await asyncio.sleep(SETTLE_S)

    assert heard.deliveries == []


async def test_a_message_somebody_wants_wakes_the_dispatchers_and_arrives_at_once(
    webhooks_api, receiver, publish, harness, heard, slow_poll
):
    target = await receiver()
    await harness.subscribe(webhooks_api, target.url, "isp.registered")

    await publish(harness.registered())
    await target.wait_for(1, timeout=5)  # not in the poll's minute
    await asyncio.sleep(SETTLE_S)

    assert heard.deliveries == [""]  # one NOTIFY for the transaction, whatever it made
    assert "" in heard.messages  # the operator's streams were told too


async def test_a_replay_that_queues_wakes_the_dispatchers_and_one_that_queues_nothing_not(
    webhooks_api, receiver, publish, harness, heard, slow_poll
):
    target = await receiver()
    endpoint = await harness.subscribe(webhooks_api, target.url, "isp.registered")
    await publish(harness.registered())
    [first] = await target.wait_for(1, timeout=5)
    await harness.attempts(webhooks_api, endpoint["id"], 1)  # recorded as delivered
    await heard.until(lambda: len(heard.deliveries) == 1)
    path = f"{BASE}/endpoints/{endpoint['id']}"

    nothing = await webhooks_api.post(
        f"{path}/replay", json={"since": datetime.now(UTC).isoformat()}, headers=harness.OPERATOR
    )
    assert nothing.status_code == 202 and nothing.json() == {"queued": 0}
    await asyncio.sleep(SETTLE_S)
    assert len(heard.deliveries) == 1  # still only the event's

    again = await webhooks_api.post(
        f"{path}/messages/{first.headers['webhook-id']}/replay", headers=harness.OPERATOR
    )
    assert again.status_code == 202 and again.json() == {"queued": 1}
    await heard.until(lambda: len(heard.deliveries) == 2)
    [_, replayed] = await target.wait_for(2, timeout=5)  # not in the poll's minute
    assert replayed.headers["webhook-id"] == first.headers["webhook-id"]


async def test_a_test_event_wakes_the_dispatchers_and_the_streams(
    webhooks_api, receiver, harness, heard, slow_poll
):
    target = await receiver()
    endpoint = await harness.subscribe(webhooks_api, target.url, "isp.registered")

    sent = await webhooks_api.post(
        f"{BASE}/endpoints/{endpoint['id']}/test", headers=harness.OPERATOR
    )
    assert sent.status_code == 202
    [got] = await target.wait_for(1, timeout=5)  # not in the poll's minute

    assert got.headers["webhook-id"] == sent.json()["message_id"]
    await heard.until(lambda: heard.deliveries == [""] and "" in heard.messages)
