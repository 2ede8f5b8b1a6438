"""Endpoints as their owner manages them (here the operator; an ISP's are the same routes,
see test_isp_endpoints): bad input is a 422 problem document that changes nothing, a repeated
create with its Idempotency-Key makes one endpoint, and rotation, replay and test events reach
a real receiver."""

import asyncio
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook

pytestmark = pytest.mark.integration

BASE = "/api/v1/webhooks/operator"


async def test_the_catalogue_lists_every_public_type_with_its_schema(webhooks_api):
    answer = await webhooks_api.get("/api/v1/webhooks/event-types")
    assert answer.status_code == 200
    types = {t["type"]: t for t in answer.json()}
    assert types["isp.registered"]["audience"] == "platform"
    assert "payment_method" not in types["isp.registered"]["schema"]["properties"]
    device = types["device.added"]
    assert device["audience"] == "isp"
    assert "snmp" not in device["schema"]["$defs"]["PublicDevice"]["properties"]
    only_isp = (await webhooks_api.get("/api/v1/webhooks/event-types?audience=isp")).json()
    assert {t["audience"] for t in only_isp} == {"isp"}
    assert (await webhooks_api.get("/api/v1/webhooks/event-types?audience=x")).status_code == 422


async def test_the_operator_routes_want_the_operator_token(webhooks_api):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
        answer = await webhooks_api.get(f"{BASE}/endpoints", headers=headers)
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://hooks.example.com/x"}, "url"),  # http beyond loopback
        ({"url": "not a url"}, "url"),
        ({"url": "https://h.example.com/x#f"}, "url"),
        ({"url": "https://h.example.com/" + "a" * 3000}, "url"),
        ({"url": "https://h.example.com/x", "event_types": ["no.such.type"]}, "event_types"),
        ({"url": "https://h.example.com/x", "event_types": ["device.added"]}, "event_types"),
        ({"url": "https://h.example.com/x", "event_types": ["webhook.test"]}, "event_types"),
        ({"url": "https://h.example.com/x", "event_types": ["isp.active"] * 101}, "event_types"),
        ({"url": "https://h.example.com/x", "description": "a\x00b"}, "description"),
        ({"url": "https://h.example.com/x", "description": "x" * 501}, "description"),
        ({"url": "https://h.example.com/x", "rate_limit_per_s": 0}, "rate_limit_per_s"),
        ({"url": "https://h.example.com/x", "rate_limit_per_s": 10**9}, "rate_limit_per_s"),
        ({"url": "https://h.example.com/x", "secret": "whsec_mine"}, "secret"),
        ({"url": None}, "url"),
        ({}, "url"),
    ],
)
async def test_bad_endpoints_are_refused_and_change_nothing(webhooks_api, harness, body, field):
    before = (await webhooks_api.get(f"{BASE}/endpoints", headers=harness.OPERATOR)).json()

    answer = await webhooks_api.post(f"{BASE}/endpoints", json=body, headers=harness.OPERATOR)

    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert field in answer.text
    after = (await webhooks_api.get(f"{BASE}/endpoints", headers=harness.OPERATOR)).json()
    assert after == before


async def test_a_repeated_create_with_its_idempotency_key_makes_one_endpoint(webhooks_api, harness):
    headers = {**harness.OPERATOR, "Idempotency-Key": "create-crm-hook-1"}
    body = {"url": "https://crm.example.com/dotmac", "event_types": ["isp.active"]}
    first = await webhooks_api.post(f"{BASE}/endpoints", json=body, headers=headers)
    again = await webhooks_api.post(f"{BASE}/endpoints", json=body, headers=headers)

    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["secret"] == again.json()["secret"]
    listed = (await webhooks_api.get(f"{BASE}/endpoints", headers=harness.OPERATOR)).json()
    assert [e["id"] for e in listed].count(first.json()["id"]) == 1
    assert all("secret" not in e for e in listed)  # shown once, at creation


async def test_unknown_endpoints_and_messages_are_404(webhooks_api, harness):
    missing = "00000000-0000-4000-8000-000000000000"
    for method, path in [
        ("GET", f"{BASE}/endpoints/{missing}"),
        ("PATCH", f"{BASE}/endpoints/{missing}"),
        ("DELETE", f"{BASE}/endpoints/{missing}"),
        ("GET", f"{BASE}/endpoints/{missing}/attempts"),
        ("POST", f"{BASE}/endpoints/{missing}/test"),
        ("POST", f"{BASE}/endpoints/{missing}/secret/rotate"),
    ]:
        answer = await webhooks_api.request(method, path, json={}, headers=harness.OPERATOR)
        assert answer.status_code == 404, (method, path, answer.text)
    endpoint = await harness.subscribe(webhooks_api, "https://h.example.com/x")
    replay = await webhooks_api.post(
        f"{BASE}/endpoints/{endpoint['id']}/messages/msg_{'0' * 32}/replay",
        headers=harness.OPERATOR,
    )
    assert replay.status_code == 404
    bad_id = await webhooks_api.post(
        f"{BASE}/endpoints/{endpoint['id']}/messages/../../etc/replay", headers=harness.OPERATOR
    )
    assert bad_id.status_code in (404, 422)


async def test_a_patch_changes_what_it_names_and_refuses_nulls(webhooks_api, harness):
    endpoint = await harness.subscribe(
        webhooks_api, "https://h.example.com/x", "isp.active", rate_limit_per_s=5
    )
    path = f"{BASE}/endpoints/{endpoint['id']}"

    refused = await webhooks_api.patch(path, json={"url": None}, headers=harness.OPERATOR)
    assert refused.status_code == 422
    changed = await webhooks_api.patch(
        path,
        json={"description": "CRM", "rate_limit_per_s": None, "enabled": False},
        headers=harness.OPERATOR,
    )
    assert changed.status_code == 200
    shown = changed.json()
    assert (shown["description"], shown["rate_limit_per_s"], shown["enabled"]) == (
        "CRM",
        None,
        False,
    )
    assert shown["url"] == "https://h.example.com/x"
    assert shown["event_types"] == ["isp.active"]
    assert shown["disabled_reason"] == "Disabled by operator."
    enabled = await webhooks_api.patch(path, json={"enabled": True}, headers=harness.OPERATOR)
    assert enabled.json()["enabled"] is True


async def test_after_a_rotation_deliveries_verify_with_the_old_secret_and_the_new(
    webhooks_api, receiver, publish, harness
):
    target = await receiver()
    endpoint = await harness.subscribe(webhooks_api, target.url, "isp.registered")
    rotated = await webhooks_api.post(
        f"{BASE}/endpoints/{endpoint['id']}/secret/rotate", headers=harness.OPERATOR
    )
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new != endpoint["secret"]

    await publish(harness.registered())
    [got] = await target.wait_for(1)

    assert len(got.headers["webhook-signature"].split(" ")) == 2
    assert Webhook(new).verify(got.body, got.headers)["type"] == "isp.registered"
    assert Webhook(endpoint["secret"]).verify(got.body, got.headers)["type"] == "isp.registered"


async def test_replays_send_the_same_message_under_the_same_id(
    webhooks_api, receiver, publish, harness
):
    target = await receiver()
    endpoint = await harness.subscribe(webhooks_api, target.url, "isp.registered")
    started = datetime.now(UTC)
    await publish(harness.registered(), harness.registered())
    first = await target.wait_for(2)
    ids = sorted(r.headers["webhook-id"] for r in first)
    path = f"{BASE}/endpoints/{endpoint['id']}"
    await harness.attempts(webhooks_api, endpoint["id"], 2)  # recorded as delivered

    one = await webhooks_api.post(f"{path}/messages/{ids[0]}/replay", headers=harness.OPERATOR)
    assert one.status_code == 202 and one.json() == {"queued": 1}
    await target.wait_for(3)
    assert target.received[2].headers["webhook-id"] == ids[0]
    await harness.attempts(webhooks_api, endpoint["id"], 3)

    since = await webhooks_api.post(
        f"{path}/replay", json={"since": started.isoformat()}, headers=harness.OPERATOR
    )
    assert since.status_code == 202 and since.json()["queued"] == 2
    log = await harness.attempts(webhooks_api, endpoint["id"], 5)
    assert sorted(a["message_id"] for a in log[3:]) == ids
    assert sorted(r.headers["webhook-id"] for r in target.received[3:]) == ids

    for bad in ("2999-01-01T00:00:00Z", "2001-01-01T00:00:00Z", "2026-12-01T00:00:00", "yesterday"):
        refused = await webhooks_api.post(
            f"{path}/replay", json={"since": bad}, headers=harness.OPERATOR
        )
        assert refused.status_code == 422, bad


async def test_a_test_event_goes_to_that_endpoint_alone(webhooks_api, receiver, harness):
    target, other = await receiver(), await receiver()
    endpoint = await harness.subscribe(webhooks_api, target.url)
    await harness.subscribe(webhooks_api, other.url)

    sent = await webhooks_api.post(
        f"{BASE}/endpoints/{endpoint['id']}/test", headers=harness.OPERATOR
    )
    assert sent.status_code == 202
    [got] = await target.wait_for(1)
    await asyncio.sleep(0.5)

    payload = Webhook(endpoint["secret"]).verify(got.body, got.headers)
    assert payload["type"] == "webhook.test"
    assert payload["data"]["endpoint_id"] == endpoint["id"]
    assert got.headers["webhook-id"] == sent.json()["message_id"]
    assert other.received == []


async def test_a_deleted_endpoint_gets_nothing_more(webhooks_api, receiver, publish, harness):
    target = await receiver()
    endpoint = await harness.subscribe(webhooks_api, target.url, "isp.registered")
    gone = await webhooks_api.delete(f"{BASE}/endpoints/{endpoint['id']}", headers=harness.OPERATOR)
    assert gone.status_code == 204

    await publish(harness.registered())
    await asyncio.sleep(1.0)

    assert target.received == []
