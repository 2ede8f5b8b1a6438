"""Deliveries are rows: events fanned out while no dispatcher runs (it died, or is being
deployed) are all sent once one starts, each once, under its message's id."""

import asyncio
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest

from servicekit.config import PlatformSettings
from servicekit.testing import running
from webhooks.bootstrap import bootstrap
from webhooks.config import Settings
from webhooks.entrypoints import api, deliver, stream

pytestmark = pytest.mark.integration


def _webhooks(database: str, nats: Any) -> Any:
    return bootstrap(
        Settings(
            platform=PlatformSettings(
                database_url=database,
                nats_url=nats.url,
                operator_token="durable-operator",
                smtp_port=9,
            ),
            retry_schedule_s=[0.0, 0.3, 0.6],
            retry_jitter=0.0,
            # These tests count each delivery exactly once, which holds only if no attempt
            # fails. The receiver answers from this test's own event loop, which on a loaded
            # CI machine has held an answer past 1 s: a timeout, rightly retried under the
            # same webhook-id, and counted twice here.
            timeout_s=5.0,
        )
    )


async def test_deliveries_outlive_the_dispatcher(
    migrated_database, nats_server, receiver, publish, harness
):
    target = await receiver()
    operator = {"Authorization": "Bearer durable-operator"}

    # Subscribers and API only: events become deliveries that nobody sends yet.
    first = _webhooks(migrated_database, nats_server)
    async with (
        running(first.runtime, [api.role(first), stream.role(first)]) as app,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://w") as client,
    ):
        endpoint = await harness.subscribe(client, target.url, "isp.registered", headers=operator)
        await publish(*(harness.registered() for _ in range(30)))
        async with asyncio.timeout(10):
            while (await _waiting(migrated_database, endpoint["id"])) < 30:
                await asyncio.sleep(0.1)
    assert target.received == []

    # A dispatcher comes up (another process, as after a restart): everything goes out once.
    second = _webhooks(migrated_database, nats_server)
    async with running(second.runtime, [deliver.role(second)]):
        got = await target.wait_for(30)
        await asyncio.sleep(0.5)
    ids = Counter(r.headers["webhook-id"] for r in got)
    assert len(ids) == 30
    assert set(ids.values()) == {1}


async def _waiting(database: str, endpoint_id: str) -> int:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database)
    async with engine.connect() as connection:
        count = (
            await connection.execute(
                text(
                    "SELECT count(*) FROM webhooks.deliveries"
                    " WHERE endpoint_id = :id AND state = 'pending'"
                ),
                {"id": endpoint_id},
            )
        ).scalar_one()
    await engine.dispose()
    return int(count)


async def test_nothing_is_lost_or_sent_twice_across_a_restart_of_nats(
    migrated_database, tmp_path, receiver, harness
):
    from devstack.components import NatsServer
    from devstack.ports import free_ports
    from dotmac_contracts import encode_event
    from servicekit.bus import connect

    nats = NatsServer(*free_ports(2), tmp_path / "nats")
    nats.start()
    nats.wait_ready()
    target = await receiver()
    operator = {"Authorization": "Bearer durable-operator"}
    webhooks = _webhooks(migrated_database, nats)
    roles = [api.role(webhooks), stream.role(webhooks), deliver.role(webhooks)]

    async def send(count: int) -> None:
        nc = await connect(nats.url, name="durability-test")
        for _ in range(count):
            event = harness.registered()
            envelope = encode_event(
                event, event_id=str(uuid.uuid4()), source="test", time=harness.now()
            )
            await nc.jetstream().publish(event.subject, envelope.data, headers=envelope.headers())
        await nc.close()

    try:
        async with (
            running(webhooks.runtime, roles) as app,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://w"
            ) as client,
        ):
            await harness.subscribe(client, target.url, "isp.registered", headers=operator)
            await send(10)
            nats.stop()  # whatever is in flight now waits for it, in JetStream's store
            await asyncio.sleep(1.0)
            nats.start()
            nats.wait_ready()
            await send(10)
            got = await target.wait_for(20, timeout=30)
            await asyncio.sleep(1.0)
    finally:
        nats.stop()
    ids = Counter(r.headers["webhook-id"] for r in got)
    assert len(ids) == 20
    assert set(ids.values()) == {1}
