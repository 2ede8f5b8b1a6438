"""An ISP's own webhooks, with the real ISP framework (tenant-api, in this process) saying who
each caller is: its owner, admins and API keys with the `webhooks:manage` scope manage them;
other roles and keys are refused; another ISP's people find nothing of it; and its business
events (a customer created in tenant-api) reach its endpoints over the real bus."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from servicekit.signins import SignIns

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def isps(webhooks_api, start_tenant_api, business_token) -> AsyncIterator[Any]:
    async with start_tenant_api(internal_token=business_token, smtp_port=9) as (app, client):
        webhooks = webhooks_api.webhooks
        before = webhooks.sign_ins
        webhooks.sign_ins = SignIns("http://tenant-api", transport=client._transport)
        yield app, client
        webhooks.sign_ins = before


@pytest.fixture
def isp(isps, isp_on):
    async def make() -> Any:
        return await isp_on(*isps)

    return make


def base(isp: Any) -> str:
    return f"/api/v1/webhooks/isp/{isp.id}"


def auth(headers: dict[str, str]) -> dict[str, str]:
    """Only the credential: the webhooks service learns the ISP from the path."""
    return {"Authorization": headers["Authorization"]}


async def test_a_customer_created_in_the_isp_framework_reaches_the_isp_s_endpoint(
    webhooks_api, isp, receiver, harness
):
    a, b = await isp(), await isp()
    mine, theirs = await receiver(), await receiver()
    endpoint = await harness.subscribe(
        webhooks_api, mine.url, "customer.created", headers=auth(a.owner), prefix=base(a)
    )
    await harness.subscribe(
        webhooks_api, theirs.url, "customer.created", headers=auth(b.owner), prefix=base(b)
    )

    created = await a.client.post(
        "/api/v1/customers", json={"name": "Ada Lovelace"}, headers=a.owner
    )
    assert created.status_code == 201, created.text
    [got] = await mine.wait_for(1)
    await asyncio.sleep(0.5)

    payload = Webhook(endpoint["secret"]).verify(got.body, got.headers)
    assert payload["type"] == "customer.created"
    assert payload["data"]["customer_id"] == created.json()["id"]
    assert payload["data"]["name"] == "Ada Lovelace"
    assert payload["data"]["isp_id"] == str(a.id)
    assert theirs.received == []  # the other ISP hears nothing of it
    b_messages = await webhooks_api.get(f"{base(b)}/messages", headers=auth(b.owner))
    assert all(
        m["payload"]["data"].get("isp_id") != str(a.id) for m in b_messages.json()["messages"]
    )


async def test_owners_admins_and_scoped_keys_manage_webhooks_and_nobody_else(webhooks_api, isp):
    from tenant_api.identity.auth.roles import Role

    a = await isp()
    body = {"url": "https://hooks.example.com/in", "event_types": ["ticket.opened"]}
    for role in (Role.OWNER, Role.ADMIN):
        made = await webhooks_api.post(f"{base(a)}/endpoints", json=body, headers=auth(a.as_(role)))
        assert made.status_code == 201, (role, made.text)
    for role in (Role.BILLING, Role.SUPPORT, Role.READ_ONLY):
        refused = await webhooks_api.post(
            f"{base(a)}/endpoints", json=body, headers=auth(a.as_(role))
        )
        assert refused.status_code == 403, (role, refused.text)
        assert "webhooks:manage" in refused.json()["detail"]

    keys = {}
    for name, scopes in (("scoped", ["webhooks:manage"]), ("unscoped", ["customers:read"])):
        key = await a.client.post(
            "/api/v1/api-keys", json={"name": name, "scopes": scopes}, headers=a.owner
        )
        assert key.status_code == 201, key.text
        keys[name] = {"Authorization": f"Bearer {key.json()['key']}"}
    assert (
        await webhooks_api.post(f"{base(a)}/endpoints", json=body, headers=keys["scoped"])
    ).status_code == 201
    assert (
        await webhooks_api.post(f"{base(a)}/endpoints", json=body, headers=keys["unscoped"])
    ).status_code == 403

    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eA=="}):
        answer = await webhooks_api.get(f"{base(a)}/endpoints", headers=headers)
        assert answer.status_code == 401, headers
        assert answer.headers["content-type"] == "application/problem+json"
    listed = await webhooks_api.get(f"{base(a)}/endpoints", headers=auth(a.owner))
    assert len(listed.json()) == 3


async def test_another_isp_finds_nothing_of_an_isp_s_endpoints(webhooks_api, isp, harness):
    a, b = await isp(), await isp()
    endpoint = await harness.subscribe(
        webhooks_api, "https://hooks.example.com/a", headers=auth(a.owner), prefix=base(a)
    )
    path = f"endpoints/{endpoint['id']}"

    # B's people on A's routes: not a sign-in of A.
    on_a = await webhooks_api.get(f"{base(a)}/endpoints", headers=auth(b.owner))
    assert on_a.status_code == 401
    # B's people on B's routes, with A's endpoint id: as if it did not exist.
    for method, suffix, body in [
        ("GET", path, None),
        ("PATCH", path, {"description": "mine now"}),
        ("DELETE", path, None),
        ("GET", f"{path}/attempts", None),
        ("POST", f"{path}/test", None),
        ("POST", f"{path}/secret/rotate", None),
        ("POST", f"{path}/replay", {"since": "2026-12-01T00:00:00Z"}),
    ]:
        answer = await webhooks_api.request(
            method, f"{base(b)}/{suffix}", json=body, headers=auth(b.owner)
        )
        assert answer.status_code == 404, (method, suffix, answer.text)
    assert (await webhooks_api.get(f"{base(b)}/endpoints", headers=auth(b.owner))).json() == []
    still = await webhooks_api.get(f"{base(a)}/{path}", headers=auth(a.owner))
    assert still.status_code == 200 and still.json()["description"] == ""


async def test_an_isp_subscribes_to_its_own_types_only(webhooks_api, isp):
    a = await isp()
    for types in (
        ["isp.registered"],
        ["isp.payment_failed"],
        ["customer.created", "demo.requested"],
    ):
        refused = await webhooks_api.post(
            f"{base(a)}/endpoints",
            json={"url": "https://hooks.example.com/x", "event_types": types},
            headers=auth(a.owner),
        )
        assert refused.status_code == 422, types
        assert types[-1] in refused.json()["detail"]


async def test_an_isp_endpoint_failing_for_days_is_disabled_and_the_isp_s_contact_told(
    webhooks_api, isp, receiver, publish, harness, migrated_database
):
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    a = await isp()
    signup = harness.registered().model_copy(update={"isp_id": a.id})
    await publish(signup)  # webhooks keeps the ISP's primary contact from its sign-up
    target = await receiver(500)
    endpoint = await harness.subscribe(
        webhooks_api, target.url, "customer.created", headers=auth(a.owner), prefix=base(a)
    )
    engine = create_async_engine(migrated_database)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE webhooks.endpoints SET failing_since = now() - interval '6 days',"
                " updated_at = now() WHERE id = :id"
            ),
            {"id": endpoint["id"]},
        )

    created = await a.client.post("/api/v1/customers", json={"name": "Bo"}, headers=a.owner)
    assert created.status_code == 201
    await target.wait_for(1)
    await asyncio.sleep(1.0)

    shown = await webhooks_api.get(f"{base(a)}/endpoints/{endpoint['id']}", headers=auth(a.owner))
    assert shown.json()["enabled"] is False
    async with engine.connect() as connection:
        mail = (
            (
                await connection.execute(
                    text("SELECT body FROM webhooks.mail_outbox WHERE to_address = :to"),
                    {"to": signup.primary_contact_email},
                )
            )
            .scalars()
            .all()
        )
    await engine.dispose()
    assert any(target.url in (body or "") for body in mail)
