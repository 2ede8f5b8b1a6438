"""Deliveries to real receivers on loopback: signed as Standard Webhooks says (checked with the
`standardwebhooks` package), retried on Svix's schedule, honouring Retry-After, disabled on
410 or after failing too long, and never held up by another endpoint."""

import asyncio
import itertools
import json
import socket
import uuid

import pytest
from sqlalchemy import text
from standardwebhooks.webhooks import Webhook

pytestmark = pytest.mark.integration


async def test_an_operator_endpoint_gets_a_signed_public_event(
    webhooks_api, receiver, publish, harness
):
    target = await receiver()
    endpoint = await harness.subscribe(webhooks_api, target.url, "isp.registered")
    assert endpoint["secret"].startswith("whsec_")
    signup = harness.registered()

    await publish(signup)
    [got] = await target.wait_for(1)

    payload = Webhook(endpoint["secret"]).verify(got.body, got.headers)
    assert payload["type"] == "isp.registered"
    assert payload["data"]["isp_id"] == str(signup.isp_id)
    assert payload["data"]["company_name"] == signup.company_name
    assert "payment_method" not in payload["data"]  # internal: never leaves the platform
    assert got.headers["webhook-id"].startswith("msg_")
    assert got.headers["content-type"] == "application/json"
    [attempt] = await harness.attempts(webhooks_api, endpoint["id"], 1)
    assert attempt["outcome"] == "succeeded"
    assert attempt["status_code"] == 200
    assert attempt["message_id"] == got.headers["webhook-id"]
    assert attempt["response_excerpt"] == "answered 200"


async def test_an_event_delivered_twice_by_the_bus_is_sent_once(
    webhooks_api, receiver, publish, harness
):
    target = await receiver()
    await harness.subscribe(webhooks_api, target.url, "isp.registered")
    signup = harness.registered()
    event_id = str(uuid.uuid4())

    await publish(signup, event_id=event_id)
    await target.wait_for(1)
    await publish(signup, event_id=event_id)  # after JetStream's duplicate window, say
    await asyncio.sleep(1.0)

    assert len(target.received) == 1


async def test_failures_are_retried_on_the_schedule_until_one_succeeds(
    webhooks_api, receiver, publish, harness
):
    target = await receiver(500, 502, 200)
    endpoint = await harness.subscribe(webhooks_api, target.url, "isp.registered")

    await publish(harness.registered())
    got = await target.wait_for(3)

    assert len({r.headers["webhook-id"] for r in got}) == 1  # one message, three attempts
    gaps = [b.at - a.at for a, b in itertools.pairwise(got)]
    assert gaps[0] >= harness.SCHEDULE[1] * 0.9
    assert gaps[1] >= harness.SCHEDULE[2] * 0.9
    log = await harness.attempts(webhooks_api, endpoint["id"], 3)
    assert [a["outcome"] for a in log] == ["failed", "failed", "succeeded"]
    assert [a["status_code"] for a in log] == [500, 502, 200]
    await asyncio.sleep(harness.SCHEDULE[-1] + 0.5)
    assert len(target.received) == 3  # nothing after the success


async def test_the_schedule_runs_out_and_the_delivery_fails_for_good(
    webhooks_api, receiver, publish, harness
):
    target = await receiver(500)
    endpoint = await harness.subscribe(webhooks_api, target.url, "isp.registered")

    await publish(harness.registered())
    await target.wait_for(len(harness.SCHEDULE))
    await asyncio.sleep(harness.SCHEDULE[-1] + 1.0)

    assert len(target.received) == len(harness.SCHEDULE)
    shown = (
        await webhooks_api.get(
            f"/api/v1/webhooks/operator/endpoints/{endpoint['id']}", headers=harness.OPERATOR
        )
    ).json()
    assert shown["enabled"] is True  # failing, not yet for days
    assert shown["failing_since"] is not None


async def test_retry_after_is_honoured_on_429(webhooks_api, receiver, publish, harness):
    target = await receiver(429, 200, headers={"Retry-After": "2"})
    await harness.subscribe(webhooks_api, target.url, "isp.registered")

    await publish(harness.registered())
    first, second = await target.wait_for(2, timeout=15)

    assert second.at - first.at >= 1.9  # not the schedule's 0.3 s


async def test_a_410_disables_the_endpoint_at_once_and_its_owner_is_told(
    webhooks_api, receiver, publish, harness, migrated_database
):
    target = await receiver(410)
    endpoint = await harness.subscribe(webhooks_api, target.url, "isp.registered")

    await publish(harness.registered())
    await target.wait_for(1)
    await asyncio.sleep(0.5)
    await publish(harness.registered())
    await asyncio.sleep(1.5)

    assert len(target.received) == 1  # neither a retry nor the next event
    shown = (
        await webhooks_api.get(
            f"/api/v1/webhooks/operator/endpoints/{endpoint['id']}", headers=harness.OPERATOR
        )
    ).json()
    assert shown["enabled"] is False
    assert "410" in shown["disabled_reason"]
    assert await _mail_to(migrated_database, "operators@dotmac.localhost", target.url)


async def test_an_endpoint_failing_for_five_days_is_disabled_and_its_owner_mailed(
    webhooks_api, receiver, publish, harness, migrated_database
):
    from sqlalchemy.ext.asyncio import create_async_engine

    target = await receiver(500)
    endpoint = await harness.subscribe(webhooks_api, target.url, "isp.registered")
    engine = create_async_engine(migrated_database)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE webhooks.endpoints SET failing_since = now() - interval '5 days 1 minute',"
                " updated_at = now() WHERE id = :id"
            ),
            {"id": endpoint["id"]},
        )
    await engine.dispose()

    await publish(harness.registered())
    await target.wait_for(1)
    await asyncio.sleep(1.0)

    shown = (
        await webhooks_api.get(
            f"/api/v1/webhooks/operator/endpoints/{endpoint['id']}", headers=harness.OPERATOR
        )
    ).json()
    assert shown["enabled"] is False
    assert "5 days" in shown["disabled_reason"]
    assert len(target.received) == 1  # its retries stopped with it
    assert await _mail_to(migrated_database, "operators@dotmac.localhost", target.url)


async def test_a_timeout_counts_as_a_failure(webhooks_api, receiver, publish, harness):
    target = await receiver(("slow", 1.5), 200)
    endpoint = await harness.subscribe(webhooks_api, target.url, "isp.registered")

    await publish(harness.registered())
    await target.wait_for(2)

    log = await harness.attempts(webhooks_api, endpoint["id"], 2)
    assert log[0]["outcome"] == "timeout"
    assert log[0]["status_code"] is None
    assert log[1]["outcome"] == "succeeded"


async def test_a_dead_and_a_slow_endpoint_hold_up_no_other(
    webhooks_api, receiver, publish, harness
):
    slow = await receiver(("slow", 0.9))
    healthy = await receiver()
    with socket.socket() as s:  # a port nothing listens on: connection refused
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    await harness.subscribe(webhooks_api, f"http://127.0.0.1:{dead_port}/hook", "isp.registered")
    await harness.subscribe(webhooks_api, slow.url, "isp.registered")
    await harness.subscribe(webhooks_api, healthy.url, "isp.registered")

    started = asyncio.get_running_loop().time()
    await publish(*(harness.registered() for _ in range(20)))
    got = await healthy.wait_for(20, timeout=10)

    assert got[-1].at - started < 3.0  # the slow one needs 20 x 0.9 s / 4 lanes ≈ 4.5 s
    assert len(slow.received) < 20


async def _mail_to(database_url: str, address: str, mentioning: str) -> bool:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url)
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text("SELECT body FROM webhooks.mail_outbox WHERE to_address = :to"),
                {"to": address},
            )
        ).all()
    await engine.dispose()
    return any(mentioning in (row.body or "") for row in rows) or bool(
        rows and json.dumps([r.body for r in rows]).count(mentioning)
    )


async def test_an_endpoint_s_rate_limit_spreads_its_deliveries(
    webhooks_api, receiver, publish, harness
):
    target = await receiver()
    await harness.subscribe(webhooks_api, target.url, "isp.registered", rate_limit_per_s=2)

    await publish(*(harness.registered() for _ in range(6)))
    got = await target.wait_for(6)

    # a burst of two, then one every half second
    assert got[-1].at - got[0].at >= 1.8
    assert all(b.at - a.at < 1.0 for a, b in itertools.pairwise(got))


async def test_messages_past_their_retention_are_forgotten_with_their_log(
    webhooks_api, receiver, publish, harness, migrated_database
):
    from sqlalchemy.ext.asyncio import create_async_engine

    from webhooks.delivery.retention import forget_old_messages

    target = await receiver()
    endpoint = await harness.subscribe(webhooks_api, target.url, "isp.registered")
    await publish(harness.registered(), harness.registered())
    old, new = await target.wait_for(2)
    await harness.attempts(webhooks_api, endpoint["id"], 2)
    engine = create_async_engine(migrated_database)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE webhooks.messages SET created_at = now() - interval '31 days'"
                " WHERE id = :id"
            ),
            {"id": old.headers["webhook-id"]},
        )

    gone = await forget_old_messages(webhooks_api.webhooks.runtime.db, 30)

    async with engine.connect() as connection:
        left = (
            (
                await connection.execute(
                    text(
                        "SELECT m.id FROM webhooks.messages m JOIN webhooks.deliveries d"
                        " ON d.message_seq = m.seq WHERE d.endpoint_id = :e"
                    ),
                    {"e": endpoint["id"]},
                )
            )
            .scalars()
            .all()
        )
    await engine.dispose()
    assert gone >= 1
    assert left == [new.headers["webhook-id"]]
    log = await harness.attempts(webhooks_api, endpoint["id"], 1)
    assert [a["message_id"] for a in log] == [new.headers["webhook-id"]]
