"""The slice, end to end, with every service running as its own process behind the gateway:
an ISP registers over HTTP, the event crosses NATS, a Temporal workflow provisions it on the
local provider, and the ISP's tenant answers at its own host."""

import asyncio
import json
import os
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from temporalio.worker import Replayer

from dotmac_contracts import encode_event
from dotmac_contracts.events import IspRegistered
from provisioning.onboarding.workflows import OnboardIspWorkflow

pytestmark = pytest.mark.e2e

STEPS = [
    "provisioning",
    "deploying",
    "configuring",
    "initializing",
    "validating",
    "welcoming",
]


def eager_starts(temporal_server, workflow_type: str) -> float:
    """How many workflows of `workflow_type` Temporal has started eagerly: handing the first
    workflow task back to the worker that asked to start it, instead of through its queue.
    (Temporal reports its metrics each second, not as they change.)"""
    metrics = httpx.get(f"http://127.0.0.1:{temporal_server.metrics_port}/metrics").text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("workflow_eager_execution{")
        and f'workflowType="{workflow_type}"' in line
    )


async def test_a_registered_isp_becomes_active_in_one_trace(platform, http, temporal_server):
    eager_before = eager_starts(temporal_server, "OnboardIspWorkflow")
    trace_id = os.urandom(16).hex()
    response = await http.post(
        f"{platform.gateway_url}/api/v1/isp/register",
        json=platform.registration("Acme Fiber"),
        headers={
            "traceparent": f"00-{trace_id}-{os.urandom(8).hex()}-01",
            "Idempotency-Key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 202, response.text
    accepted = response.json()
    isp_id, slug = accepted["isp_id"], accepted["slug"]

    # Follow the status stream (server-sent events) through the gateway until it settles.
    seen_states: list[str] = []
    async with http.stream(
        "GET", platform.gateway_url + accepted["status_url"] + "/events"
    ) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        async for line in stream.aiter_lines():
            if line.startswith("data: "):
                seen_states.append(json.loads(line.removeprefix("data: "))["state"])
    assert seen_states[-1] == "active", seen_states
    lifecycle = ["registered", *STEPS, "active"]
    order = [lifecycle.index(state) for state in seen_states]
    assert order == sorted(order), f"the stream went backwards: {seen_states}"

    status = await platform.wait_for_state(
        http, platform.gateway_url + accepted["status_url"], {"active"}
    )
    assert [s["name"] for s in status["steps"]] == STEPS
    assert all(s["status"] == "completed" for s in status["steps"])
    times = [(s["started_at"], s["completed_at"]) for s in status["steps"]]
    assert all(start <= end for start, end in times)
    assert [t[0] for t in times] == sorted(t[0] for t in times), "steps ran in order"
    assert status["instance_url"] == f"http://{slug}.localhost:{platform.gateway_port}"
    assert status["error"] is None

    # The gateway now routes the ISP's own host to its tenant, which is active.
    tenant = await http.get(
        f"{platform.gateway_url}/api/v1/tenant", headers={"Host": f"{slug}.localhost"}
    )
    assert tenant.status_code == 200
    assert tenant.json()["id"] == isp_id
    for _ in range(50):
        tenant = await http.get(
            f"{platform.gateway_url}/api/v1/tenant", headers={"Host": f"{slug}.localhost"}
        )
        if tenant.json()["status"] == "active":
            break
        await asyncio.sleep(0.1)
    assert tenant.json()["status"] == "active"
    # Its internal API is not reachable through the tenant's host.
    internal = await http.delete(
        f"{platform.gateway_url}/internal/v1/tenants/{isp_id}",
        headers={"Host": f"{slug}.localhost"},
    )
    assert internal.status_code == 404

    # Operators find the workflow in Temporal by the ISP's id.
    temporal = await Client.connect(platform.temporal_address)
    found = [w async for w in temporal.list_workflows(f'IspId="{isp_id}"')]
    assert [w.id for w in found] == [f"onboard-{isp_id}"]
    handle = temporal.get_workflow_handle(f"onboard-{isp_id}")
    # `active` is published by the last activity; the workflow closes a moment later.
    result = await asyncio.wait_for(handle.result(), timeout=15)
    assert result["instance_url"] == status["instance_url"]
    described = await handle.describe()
    assert described.status == WorkflowExecutionStatus.COMPLETED
    attributes = {k.name: v for k, v in described.typed_search_attributes}
    assert attributes["Tier"] == "basic" and attributes["Provider"] == "local"
    assert attributes["Region"] == "us-east-1"
    # Its first task went straight to the worker that consumed the registration and started it.
    # (Counted across the platform: another test's onboarding may have started meanwhile, but
    # none would have, had onboardings not started eagerly.)
    for _ in range(50):
        if eager_starts(temporal_server, "OnboardIspWorkflow") > eager_before:
            break
        await asyncio.sleep(0.1)
    assert eager_starts(temporal_server, "OnboardIspWorkflow") > eager_before
    # The workflow runs outside Temporal's sandbox: its history must replay to the same end.
    await Replayer(workflows=[OnboardIspWorkflow]).replay_workflow(await handle.fetch_history())

    # One registration is one trace, across the three service processes and Temporal.
    expected = {
        ("registration", "POST /api/v1/isp/register"),
        ("provisioning", "dotmac.registration.isp.registered.v1 process"),
        ("provisioning", "StartWorkflow:OnboardIspWorkflow"),
        ("provisioning", "RunWorkflow:OnboardIspWorkflow"),
        ("provisioning", "RunActivity:run_step"),
        ("tenant-api", "PUT /internal/v1/tenants/{tenant_id}"),
        ("registration", "dotmac.provisioning.deployment.completed.v1 process"),
    }
    for _ in range(100):
        seen = {(s.service, s.name) for s in platform.spans.trace(trace_id)}
        if expected <= seen:
            break
        await asyncio.sleep(0.1)
    assert expected <= seen, f"missing from the trace: {expected - seen}"


async def test_a_repeated_registration_event_attaches_to_the_running_onboarding(platform, http):
    response = await http.post(
        f"{platform.gateway_url}/api/v1/isp/register",
        json=platform.registration("Echo Net"),
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    accepted = response.json()
    await platform.wait_for_state(http, platform.gateway_url + accepted["status_url"], {"active"})

    # The same fact published again under a new event id (a producer that retried after the
    # duplicate window): provisioning must not onboard the ISP twice.
    nc = await platform.nats()
    status = (await http.get(platform.gateway_url + accepted["status_url"])).json()
    original = IspRegistered(
        isp_id=accepted["isp_id"],
        deployment_id=accepted["deployment_id"],
        slug=accepted["slug"],
        company_name="Echo Net",
        country="US",
        region="us-east-1",
        tier="basic",
        billing_period="monthly",
        domain="echo.example",
        primary_contact_name="Ann",
        primary_contact_email="ann@echo.example",
        expected_customers=10,
        registered_at=datetime.now(UTC),
    )
    envelope = encode_event(
        original, event_id=str(uuid.uuid4()), source="registration", time=datetime.now(UTC)
    )
    await nc.jetstream().publish(original.subject, envelope.data, headers=envelope.headers())
    await nc.close()
    await asyncio.sleep(1.5)

    temporal = await Client.connect(platform.temporal_address)
    runs = [w async for w in temporal.list_workflows(f'WorkflowId="onboard-{accepted["isp_id"]}"')]
    assert len(runs) == 1, "a second onboarding was started"
    assert (await http.get(platform.gateway_url + accepted["status_url"])).json() == status


async def test_a_failed_step_rolls_back_what_was_created(platform, http):
    body = platform.registration("Clash Telecom")
    slug = f"clash-telecom-{body['company']['registration_number']}"
    # Another tenant already holds the host this ISP would get: initialization must fail, for
    # good (retrying cannot fix it), and the onboarding must undo its earlier steps.
    squatter = await http.put(
        f"{platform.tenant_api_url}/internal/v1/tenants/{uuid.uuid4()}",
        json={"slug": slug, "name": "Squatter", "tier": "free", "host": f"{slug}.localhost"},
        headers={"Authorization": f"Bearer {platform.internal_token}"},
    )
    assert squatter.status_code == 201, squatter.text

    accepted = (
        await http.post(
            f"{platform.gateway_url}/api/v1/isp/register",
            json=body,
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
    ).json()
    assert accepted["slug"] == slug
    status = await platform.wait_for_state(
        http, platform.gateway_url + accepted["status_url"], {"rolled_back", "active"}
    )
    assert status["state"] == "rolled_back"
    assert status["error"].startswith("initializing:") and "tenant-api refused" in status["error"]
    by_name = {s["name"]: s["status"] for s in status["steps"]}
    assert by_name == {
        "provisioning": "completed",
        "deploying": "completed",
        "configuring": "completed",
        "initializing": "failed",
        "validating": "pending",
        "welcoming": "pending",
    }
    # The other tenant is untouched: it still answers at the host it holds.
    squatter_now = await http.get(
        f"{platform.gateway_url}/api/v1/tenant", headers={"Host": f"{slug}.localhost"}
    )
    assert squatter_now.status_code == 200
    assert squatter_now.json()["id"] == squatter.json()["id"]

    temporal = await Client.connect(platform.temporal_address)
    handle = temporal.get_workflow_handle(f"onboard-{accepted['isp_id']}")
    with pytest.raises(WorkflowFailureError):
        await asyncio.wait_for(handle.result(), timeout=15)
    assert (await handle.describe()).status == WorkflowExecutionStatus.FAILED
    # The compensating path replays too (the workflow runs outside Temporal's sandbox).
    await Replayer(workflows=[OnboardIspWorkflow]).replay_workflow(await handle.fetch_history())


async def test_an_active_isp_holds_a_licence_its_instance_can_verify_offline(platform, http):
    from licensing.licences.verification import verify_licence

    response = await http.post(
        f"{platform.gateway_url}/api/v1/isp/register",
        json={**platform.registration("Lumen Net"), "tier": "premium"},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    accepted = response.json()
    await platform.wait_for_state(http, platform.gateway_url + accepted["status_url"], {"active"})
    licence_url = f"{platform.gateway_url}/api/v1/licensing/isps/{accepted['isp_id']}/licence"
    for _ in range(100):
        licence = await http.get(licence_url)
        if licence.status_code == 200:
            break
        await asyncio.sleep(0.1)
    assert licence.status_code == 200, licence.text
    keys = (await http.get(f"{platform.gateway_url}/.well-known/dotmac-licence-keys")).json()
    verified = verify_licence(licence.json()["token"], keys)
    assert str(verified.isp_id) == accepted["isp_id"]
    assert verified.tier == "premium" and verified.customer_cap == 10_000
    assert "api_access" in verified.plugins

    # tenant-api learned the same entitlements from licensing's events.
    host = {"Host": f"{accepted['slug']}.localhost"}
    for _ in range(100):
        mine = (
            await http.get(f"{platform.gateway_url}/api/v1/tenant/entitlements", headers=host)
        ).json()
        if mine["tier"] == "premium":
            break
        await asyncio.sleep(0.1)
    assert mine["tier"] == "premium" and set(mine["plugins"]) == verified.plugins

    # Changing tiers is for billing and operators, not the public: the gateway does not offer
    # it, and licensing's internal route wants the internal token.
    isp_tier = f"/api/v1/isp/{accepted['isp_id']}/tier"
    public = await http.post(f"{platform.gateway_url}{isp_tier}", json={"tier": "enterprise"})
    assert public.status_code in (404, 405), public.text
    licensing = platform.processes["licensing"].health_url.removesuffix("/healthz")
    internal = f"{licensing}/internal/v1/licences/{accepted['isp_id']}/tier"
    anonymous = await http.post(internal, json={"tier": "enterprise"})
    assert anonymous.status_code == 401
    # An upgrade reaches tenant-api's entitlements the same way as the licence did.
    upgrade = await http.post(
        internal,
        json={"tier": "enterprise"},
        headers={"Authorization": f"Bearer {platform.internal_token}"},
    )
    assert upgrade.status_code == 200, upgrade.text
    for _ in range(100):
        mine = (
            await http.get(f"{platform.gateway_url}/api/v1/tenant/entitlements", headers=host)
        ).json()
        if mine["tier"] == "enterprise":
            break
        await asyncio.sleep(0.1)
    assert mine["tier"] == "enterprise" and "white_label" in mine["plugins"]


async def test_the_owner_is_welcomed_by_email_and_signs_in_through_the_gateway(platform, http):
    import re

    body = platform.registration("Welcome Fiber")
    owner = f"owner-{body['company']['registration_number']}@welcome.example"
    body["contacts"]["primary"] = {"name": "Wanda", "email": owner}
    accepted = (
        await http.post(
            f"{platform.gateway_url}/api/v1/isp/register",
            json=body,
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
    ).json()
    status = await platform.wait_for_state(
        http, platform.gateway_url + accepted["status_url"], {"active"}
    )
    for _ in range(100):
        welcome = [m for m in platform.mail.messages() if m["To"] == owner]
        if welcome:
            break
        await asyncio.sleep(0.1)
    assert len(welcome) == 1
    text = welcome[0].get_content()
    assert status["instance_url"] in text and "Wanda" in text
    code = re.search(r"^ {4}(\S+)\s*$", text, re.MULTILINE).group(1)

    host = {"Host": f"{accepted['slug']}.localhost"}
    chosen = await http.post(
        f"{platform.gateway_url}/api/v1/auth/first-login",
        json={"token": code, "password": "welcome to the platform"},
        headers=host,
    )
    assert chosen.status_code == 200, chosen.text
    signed_in = await http.post(
        f"{platform.gateway_url}/api/v1/auth/login",
        json={"email": owner, "password": "welcome to the platform"},
        headers=host,
    )
    assert signed_in.status_code == 200
    me = await http.get(
        f"{platform.gateway_url}/api/v1/auth/me",
        headers={**host, "Authorization": f"Bearer {signed_in.json()['access_token']}"},
    )
    assert me.json()["role"] == "owner"

    # The owner's billing, at the platform's address: the gateway sends it to billing, which
    # asks tenant-api whose sign-in the token is.
    billing = f"{platform.gateway_url}/api/v1/isp/{accepted['isp_id']}/billing"
    owner_token = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    anonymous = await http.get(billing)
    assert anonymous.status_code == 401 and "owner" in anonymous.json()["detail"]
    for _ in range(100):  # billing opens the account once the licence is issued
        mine = await http.get(billing, headers=owner_token)
        if mine.status_code == 200 and mine.json()["status"] != "registered":
            break
        await asyncio.sleep(0.1)
    assert mine.json()["status"] == "incomplete"  # a paid tier, and no card at sign-up
    paid = await http.put(
        f"{billing}/payment-method", json={"payment_method": "pm_card_visa"}, headers=owner_token
    )
    assert paid.status_code == 200, paid.text
    assert (paid.json()["status"], paid.json()["plan"]["amount_cents"]) == ("active", 4900)
    assert [i["status"] for i in paid.json()["invoices"]] == ["paid"]
