"""POST /api/v1/isp/register and the deployment status, on real Postgres and NATS.

Every refusal is a problem document and leaves the database exactly as it was.
"""

import asyncio
import copy
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from faststream.nats import TestNatsBroker
from sqlalchemy import func, select

from dotmac_contracts import encode_event
from dotmac_contracts.events import IspRegistered
from registration.bootstrap import bootstrap
from registration.config import Settings
from registration.entrypoints import api as api_entry
from registration.entrypoints import stream as stream_entry
from registration.models import Isp, messaging
from servicekit.config import PlatformSettings
from servicekit.testing import served

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def api(migrated_database, nats_server) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    platform = PlatformSettings(database_url=migrated_database, nats_url=nats_server.url)
    registration = bootstrap(Settings(platform=platform))
    roles = [api_entry.role(registration), stream_entry.role(registration)]
    async with served(registration.runtime, roles, base_url="http://gateway") as client:
        yield client, registration.runtime


async def counts(runtime) -> tuple[int, int]:
    async with runtime.db.unit_of_work() as s:
        isps = (await s.execute(select(func.count()).select_from(Isp))).scalar_one()
        events = (await s.execute(select(func.count()).select_from(messaging.outbox))).scalar_one()
    return isps, events


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status and problem["detail"]
    return problem


async def test_registration_is_accepted_stored_and_announced(api, body):
    client, runtime = api
    response = await client.post("/api/v1/isp/register", json=body)
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert set(accepted) >= {"isp_id", "deployment_id", "status_url"}
    assert response.headers["location"] == accepted["status_url"]
    assert accepted["status_url"] == f"/api/v1/isp/{accepted['isp_id']}/deployment"

    status = (await client.get(accepted["status_url"])).json()
    assert status["state"] == "registered"
    assert [s["name"] for s in status["steps"]] == [
        "provisioning",
        "deploying",
        "configuring",
        "initializing",
        "validating",
        "welcoming",
    ]
    assert all(s["status"] == "pending" for s in status["steps"])

    async with runtime.db.unit_of_work() as s:
        rows = (
            await s.execute(
                select(messaging.outbox).where(messaging.outbox.c.ce_subject == accepted["isp_id"])
            )
        ).all()
    assert [r.subject for r in rows] == [IspRegistered.subject]
    event = IspRegistered.model_validate_json(rows[0].data)
    assert str(event.deployment_id) == accepted["deployment_id"]
    assert event.domain == body["domain"] and event.tier == "basic"
    assert event.payment_method is None  # none given: billing waits for one


async def test_the_payment_method_from_the_payment_step_goes_to_billing(api, body):
    client, runtime = api
    accepted = (
        await client.post("/api/v1/isp/register", json={**body, "payment_method": "pm_card_visa"})
    ).json()
    async with runtime.db.unit_of_work() as s:
        data = await s.scalar(
            select(messaging.outbox.c.data).where(
                messaging.outbox.c.ce_subject == accepted["isp_id"]
            )
        )
    assert IspRegistered.model_validate_json(data).payment_method == "pm_card_visa"


async def test_a_repeat_with_the_same_idempotency_key_returns_the_first_answer(api, body):
    client, runtime = api
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    first = await client.post("/api/v1/isp/register", json=body, headers=headers)
    before = await counts(runtime)
    again = await client.post("/api/v1/isp/register", json=body, headers=headers)
    assert again.status_code == 202 and again.json() == first.json()
    assert await counts(runtime) == before


async def test_concurrent_repeats_create_one_isp(api, body):
    client, runtime = api
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    before = await counts(runtime)
    answers = await asyncio.gather(
        *(client.post("/api/v1/isp/register", json=body, headers=headers) for _ in range(8))
    )
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["isp_id"] for a in answers}) == 1
    assert await counts(runtime) == (before[0] + 1, before[1] + 1)


async def test_concurrent_registrations_of_one_domain_create_one_isp(api, body):
    client, runtime = api
    before = await counts(runtime)
    answers = await asyncio.gather(
        *(client.post("/api/v1/isp/register", json=body) for _ in range(6))
    )
    assert sorted(a.status_code for a in answers) == [202, 409, 409, 409, 409, 409]
    assert await counts(runtime) == (before[0] + 1, before[1] + 1)


async def test_the_same_key_with_another_body_is_refused(api, body):
    client, runtime = api
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    await client.post("/api/v1/isp/register", json=body, headers=headers)
    before = await counts(runtime)
    other = {**body, "tier": "premium"}
    problem = assert_problem(
        await client.post("/api/v1/isp/register", json=other, headers=headers), 422
    )
    assert "Idempotency-Key" in problem["detail"]
    assert await counts(runtime) == before


@pytest.mark.parametrize("clash", ["domain", "company name", "registration number"])
async def test_an_already_registered_domain_or_company_is_a_409(api, body, clash):
    client, runtime = api
    assert (await client.post("/api/v1/isp/register", json=body)).status_code == 202
    second = copy.deepcopy(body)
    tag = uuid.uuid4().hex[:8]
    second["domain"] = f"other-{tag}.example"
    second["company"]["name"] = f"Other {tag}"
    second["company"]["registration_number"] = tag
    if clash == "domain":
        second["domain"] = body["domain"].upper()
    elif clash == "company name":
        second["company"]["name"] = "  " + body["company"]["name"].upper() + " "
    else:
        second["company"]["registration_number"] = body["company"]["registration_number"]
    before = await counts(runtime)
    problem = assert_problem(await client.post("/api/v1/isp/register", json=second), 409)
    assert problem["field"] == ("domain" if clash == "domain" else "company")
    assert await counts(runtime) == before


HOSTILE = [
    ("contacts.primary.email", "ann@"),
    ("tier", "platinum"),
    ("region", "moon-1"),
    ("domain", "not a domain"),
    ("domain", "acme.example'; DROP TABLE registration.isps; --"),
    ("company.name", "<script>alert(1)</script>" * 10),
    ("service_area", "x" * 10_000),
    ("expected_customers", 10**12),
    ("company.country", None),
    ("payment_method", "card 4242 4242 4242 4242"),
    ("payment_method", "pm_" + "x" * 300),
]


@pytest.mark.parametrize(("path", "value"), HOSTILE)
async def test_bad_fields_are_422_with_the_field_named_and_nothing_stored(api, body, path, value):
    client, runtime = api
    *parents, leaf = path.split(".")
    node = body
    for p in parents:
        node = node[p]
    node[leaf] = value
    before = await counts(runtime)
    problem = assert_problem(await client.post("/api/v1/isp/register", json=body), 422)
    assert path in {e["field"] for e in problem["errors"]}
    assert await counts(runtime) == before


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b'{"company": ', "application/json", 400),
        (b"company=acme", "application/x-www-form-urlencoded", 415),
        (b"<isp/>", "application/xml", 415),
        (b"[]", "application/json", 422),
        (b"null", "application/json", 422),
        (b"{}", "application/json", 422),
        (b"x" * 100_000, "application/json", 413),
    ],
)
async def test_bodies_that_are_not_a_registration_are_refused(api, content, content_type, status):
    client, runtime = api
    before = await counts(runtime)
    response = await client.post(
        "/api/v1/isp/register", content=content, headers={"content-type": content_type}
    )
    assert_problem(response, status)
    assert await counts(runtime) == before


async def test_an_unusable_idempotency_key_is_a_400(api, body):
    client, runtime = api
    before = await counts(runtime)
    response = await client.post(
        "/api/v1/isp/register", json=body, headers={"Idempotency-Key": "k" * 300}
    )
    assert_problem(response, 400)
    assert await counts(runtime) == before


async def test_the_status_of_an_unknown_isp_is_a_404(api):
    client, _ = api
    assert_problem(await client.get(f"/api/v1/isp/{uuid.uuid4()}/deployment"), 404)
    assert_problem(await client.get(f"/api/v1/isp/{uuid.uuid4()}/deployment/events"), 404)
    assert_problem(await client.get("/api/v1/isp/not-a-uuid/deployment"), 422)


async def test_a_late_event_never_moves_the_status_backwards(api, body):
    from datetime import UTC, datetime, timedelta

    from dotmac_contracts.vocabulary import DeploymentState
    from registration.deployments.service import advance

    client, runtime = api
    accepted = (await client.post("/api/v1/isp/register", json=body)).json()
    deployment_id = uuid.UUID(accepted["deployment_id"])
    now = datetime.now(UTC)
    async with runtime.db.unit_of_work() as session:
        await advance(session, deployment_id, DeploymentState.ACTIVE, now, instance_url="http://x")
    async with runtime.db.unit_of_work() as session:  # a redelivered, older step event
        await advance(session, deployment_id, DeploymentState.DEPLOYING, now - timedelta(1))
    status = (await client.get(accepted["status_url"])).json()
    assert status["state"] == "active"
    assert status["instance_url"] == "http://x"
    assert status["updated_at"].startswith(now.strftime("%Y-%m-%dT%H:%M:%S"))
    with pytest.raises(LookupError):
        async with runtime.db.unit_of_work() as session:
            await advance(session, uuid.uuid4(), DeploymentState.ACTIVE, now)


async def test_each_step_event_ends_one_step_and_begins_the_next(api, body, migrated_database):
    """Provisioning sends one event per step: its end, naming the step that began with it.
    The events go through registration's subscribers on FastStream's in-memory broker (its
    middleware, inbox and unit of work on the real Postgres): a late redelivery of a step
    already ended changes nothing."""
    from datetime import UTC, datetime, timedelta

    from dotmac_contracts.events import (
        DeploymentCompleted,
        DeploymentStarted,
        DeploymentStepCompleted,
    )
    from dotmac_contracts.vocabulary import DeploymentStep, Provider, Region, Tier

    client, _ = api
    subscribers = bootstrap(
        Settings(platform=PlatformSettings(database_url=migrated_database))
    ).runtime
    accepted = (await client.post("/api/v1/isp/register", json=body)).json()
    ids = {
        "deployment_id": uuid.UUID(accepted["deployment_id"]),
        "isp_id": uuid.UUID(accepted["isp_id"]),
    }
    t0 = datetime.now(UTC)
    started = DeploymentStarted(
        **ids,
        provider=Provider.LOCAL,
        region=Region("us-east-1"),
        tier=Tier.BASIC,
        workflow_id="onboard-x",
        first_step=DeploymentStep.PROVISIONING,
        started_at=t0,
    )
    first_done = DeploymentStepCompleted(
        **ids,
        step=DeploymentStep.PROVISIONING,
        started_at=t0,
        completed_at=t0 + timedelta(seconds=1),
        detail="placed",
        next_step=DeploymentStep.DEPLOYING,
    )

    async def apply(event, event_id: str | None = None) -> dict:  # type: ignore[no-untyped-def]
        envelope = encode_event(
            event, event_id=event_id or str(uuid.uuid4()), source="provisioning", time=t0
        )
        async with TestNatsBroker(subscribers.broker) as broker:
            await broker.publish(envelope.data, event.subject, headers=envelope.headers())
        return (await client.get(accepted["status_url"])).json()

    status = await apply(started)
    assert status["state"] == "provisioning" and status["workflow_id"] == "onboard-x"
    assert status["steps"][0]["status"] == "running"

    first_done_id = str(uuid.uuid4())
    status = await apply(first_done, first_done_id)
    assert status["state"] == "deploying"
    assert [s["status"] for s in status["steps"][:3]] == ["completed", "running", "pending"]
    assert status["steps"][1]["started_at"] == status["steps"][0]["completed_at"]

    # Redelivered late, after the next step ended too: nothing moves backwards.
    second_done = DeploymentStepCompleted(
        **ids,
        step=DeploymentStep.DEPLOYING,
        started_at=t0 + timedelta(seconds=1),
        completed_at=t0 + timedelta(seconds=2),
        next_step=DeploymentStep.CONFIGURING,
    )
    await apply(second_done)
    status = await apply(first_done, first_done_id)  # the same event: the inbox has it
    assert status["state"] == "configuring"
    status = await apply(first_done)  # as a new event: it is applied, and still late
    assert status["state"] == "configuring"
    assert [s["status"] for s in status["steps"][:3]] == ["completed", "completed", "running"]
    assert status["steps"][0]["detail"] == "placed"

    # The last step names none; the deployment's completion follows it.
    last_done = DeploymentStepCompleted(
        **ids,
        step=DeploymentStep.WELCOMING,
        started_at=t0 + timedelta(seconds=5),
        completed_at=t0 + timedelta(seconds=6),
    )
    await apply(last_done)
    status = await apply(
        DeploymentCompleted(**ids, instance_url="http://x", completed_at=t0 + timedelta(seconds=6))
    )
    assert status["state"] == "active" and status["instance_url"] == "http://x"
    assert status["steps"][-1]["status"] == "completed"
    assert subscribers.events.outcomes["duplicate"] == 1
    await subscribers.db.dispose()
