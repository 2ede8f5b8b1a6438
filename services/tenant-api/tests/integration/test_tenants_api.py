"""tenant-api's tenant resolution and its internal routes, on real Postgres and NATS."""

import uuid

import pytest
from sqlalchemy import func, select

from dotmac_contracts.vocabulary import Plugin
from tenant_api.models import Tenant, messaging

pytestmark = pytest.mark.integration
TOKEN = "tenant-api-test-token"


@pytest.fixture(scope="module")
async def api(start_tenant_api):
    async with start_tenant_api(internal_token=TOKEN) as (app, c):
        yield c, app.runtime


def spec(slug: str) -> dict:
    return {"slug": slug, "name": "Acme Fiber", "tier": "basic", "host": f"{slug}.localhost"}


AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def tenants(runtime) -> int:
    async with runtime.db.unit_of_work() as s:
        return (await s.execute(select(func.count()).select_from(Tenant))).scalar_one()


async def test_a_tenant_is_created_once_resolved_by_host_and_activated_once(api):
    client, runtime = api
    tenant_id, slug = uuid.uuid4(), f"acme-{uuid.uuid4().hex[:6]}"
    first = await client.put(f"/internal/v1/tenants/{tenant_id}", json=spec(slug), headers=AUTH)
    again = await client.put(f"/internal/v1/tenants/{tenant_id}", json=spec(slug), headers=AUTH)
    assert (first.status_code, again.status_code) == (201, 200)

    me = await client.get("/api/v1/tenant", headers={"Host": f"{slug}.localhost:8080"})
    assert me.status_code == 200 and me.json()["id"] == str(tenant_id)
    assert me.json()["status"] == "initializing"

    for _ in range(2):
        activated = await client.post(f"/internal/v1/tenants/{tenant_id}/activate", headers=AUTH)
        assert activated.json()["status"] == "active"
    async with runtime.db.unit_of_work() as s:
        events = (
            (
                await s.execute(
                    select(messaging.outbox.c.subject).where(
                        messaging.outbox.c.ce_subject == str(tenant_id)
                    )
                )
            )
            .scalars()
            .all()
        )
    assert events == ["dotmac.tenant.tenant.activated.v1"], "activated once, announced once"


async def test_a_tenant_is_found_at_its_host_while_other_tenants_change(api):
    """Onboardings change tenants all the time: a lookup that races another tenant's change
    still finds its own (it once answered 404, failing the new ISP's health check)."""
    from contextlib import asynccontextmanager

    from tenant_api.tenancy.tenants.directory import TenantDirectory

    client, runtime = api
    tenant_id, slug = uuid.uuid4(), f"race-{uuid.uuid4().hex[:6]}"
    created = await client.put(f"/internal/v1/tenants/{tenant_id}", json=spec(slug), headers=AUTH)
    assert created.status_code == 201
    directory, db = TenantDirectory(), runtime.db

    class RacedDatabase:
        """The database, where another tenant changes while each lookup reads."""

        @asynccontextmanager
        async def unit_of_work(self):
            directory.forget(uuid.uuid4())
            async with db.unit_of_work() as session:
                yield session

    raced = RacedDatabase()
    found = await directory.at_host(raced, f"{slug}.localhost")  # type: ignore[arg-type]
    assert found is not None and found.id == tenant_id
    found = await directory.get(raced, tenant_id)  # type: ignore[arg-type]
    assert found is not None and found.id == tenant_id
    # Not kept (it may be stale): the next lookup reads again, and keeps it when nothing raced.
    assert (await directory.at_host(db, f"{slug}.localhost")).id == tenant_id
    assert (await directory.at_host(raced, f"{slug}.localhost")).id == tenant_id  # type: ignore[arg-type]


async def test_an_unknown_host_is_a_404_problem(api):
    client, _ = api
    for host in ("nobody.localhost", "", "x" * 300):
        response = await client.get("/api/v1/tenant/health", headers={"Host": host})
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}], ids=str
)
async def test_internal_routes_refuse_callers_without_the_token(api, headers):
    client, runtime = api
    before = await tenants(runtime)
    response = await client.put(
        f"/internal/v1/tenants/{uuid.uuid4()}", json=spec("intruder"), headers=headers
    )
    assert response.status_code == 401
    assert await tenants(runtime) == before


@pytest.mark.parametrize(
    "bad",
    [
        {"slug": "Bad Slug"},
        {"slug": "-x"},
        {"host": "a host"},
        {"tier": "gold"},
        {"name": ""},
        {"surprise": 1},
    ],
    ids=str,
)
async def test_malformed_specs_are_422_and_change_nothing(api, bad):
    client, runtime = api
    before = await tenants(runtime)
    body = {**spec("fine"), **bad}
    response = await client.put(f"/internal/v1/tenants/{uuid.uuid4()}", json=body, headers=AUTH)
    assert response.status_code == 422
    assert await tenants(runtime) == before


async def test_a_slug_or_host_taken_by_another_tenant_is_a_409(api):
    client, runtime = api
    slug = f"taken-{uuid.uuid4().hex[:6]}"
    await client.put(f"/internal/v1/tenants/{uuid.uuid4()}", json=spec(slug), headers=AUTH)
    before = await tenants(runtime)
    clash = await client.put(f"/internal/v1/tenants/{uuid.uuid4()}", json=spec(slug), headers=AUTH)
    assert clash.status_code == 409
    assert await tenants(runtime) == before


async def test_dropping_a_tenant_is_idempotent(api):
    client, _ = api
    tenant_id, slug = uuid.uuid4(), f"gone-{uuid.uuid4().hex[:6]}"
    await client.put(f"/internal/v1/tenants/{tenant_id}", json=spec(slug), headers=AUTH)
    for _ in range(2):
        assert (
            await client.delete(f"/internal/v1/tenants/{tenant_id}", headers=AUTH)
        ).status_code == 204
    response = await client.get("/api/v1/tenant", headers={"Host": f"{slug}.localhost"})
    assert response.status_code == 404


async def test_entitlements_follow_licensing_events_and_gate_plugins(api, publish):
    import asyncio
    from datetime import UTC, datetime, timedelta

    from fastapi import APIRouter

    from dotmac_contracts.events import LicenceIssued, TierCatalogPublished, TierTerms
    from dotmac_contracts.vocabulary import Tier
    from tenant_api.deps import require_plugin

    client, _ = api
    tenant_id, slug = uuid.uuid4(), f"gated-{uuid.uuid4().hex[:6]}"
    await client.put(f"/internal/v1/tenants/{tenant_id}", json=spec(slug), headers=AUTH)
    host = {"Host": f"{slug}.localhost"}
    nothing = (await client.get("/api/v1/tenant/entitlements", headers=host)).json()
    assert nothing == {"tier": None, "plugins": [], "customer_cap": None, "expires_at": None}

    now = datetime.now(UTC)
    catalog = TierCatalogPublished(
        version="test",
        tiers=[
            TierTerms(
                name=t,
                price_cents=0,
                currency="usd",
                custom_pricing=False,
                customer_cap=None,
                plugins=[],
                support="",
                api_access="",
            )
            for t in ("free", "basic", "premium", "enterprise")
        ],
        plugins={
            "customer_management": "free",
            "basic_reporting": "basic",
            "snmp_integration": "premium",
        },
        published_at=now,
    )
    licence = LicenceIssued(
        licence_id=uuid.uuid4(),
        isp_id=tenant_id,
        tier="basic",
        plugins=[
            "customer_management",
            "basic_billing",
            "user_auth",
            "automated_billing",
            "email_notifications",
            "basic_reporting",
        ],
        customer_cap=1000,
        issued_at=now,
        expires_at=now + timedelta(days=365),
        token="t",
    )
    older = licence.model_copy(update={"tier": Tier.FREE, "issued_at": now - timedelta(days=1)})
    await publish(catalog, licence, older)

    for _ in range(100):
        mine = (await client.get("/api/v1/tenant/entitlements", headers=host)).json()
        if mine["tier"] == "basic":
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # the older licence arrives too, and must not win
    mine = (await client.get("/api/v1/tenant/entitlements", headers=host)).json()
    assert mine["tier"] == "basic" and mine["customer_cap"] == 1000
    assert "basic_reporting" in mine["plugins"]

    app = client._transport.app.app  # a plugin-owned route, as later issues add them
    gated = APIRouter()

    @gated.get("/api/v1/test-only/reports", dependencies=[require_plugin(Plugin.BASIC_REPORTING)])
    async def reports() -> dict:
        return {"ok": True}

    @gated.get("/api/v1/test-only/snmp", dependencies=[require_plugin(Plugin.SNMP_INTEGRATION)])
    async def snmp() -> dict:
        return {"ok": True}

    app.include_router(gated)
    assert (await client.get("/api/v1/test-only/reports", headers=host)).status_code == 200
    refused = await client.get("/api/v1/test-only/snmp", headers=host)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert (problem["plugin"], problem["required_tier"], problem["current_tier"]) == (
        "snmp_integration",
        "premium",
        "basic",
    )


async def test_a_demo_tenant_announces_its_sign_ins_hourly_and_converts_keeping_its_data(api):
    from datetime import UTC, datetime, timedelta

    from tenant_api.identity.auth.roles import Role
    from tenant_api.identity.auth.service import create_user
    from tenant_api.models import Customer
    from tenant_api.tenancy.tenants.service import record_use

    client, runtime = api
    tenant_id, slug = uuid.uuid4(), f"demo-{uuid.uuid4().hex[:6]}"
    demo = {**spec(slug), "demo": True, "tier": "premium"}
    created = await client.put(f"/internal/v1/tenants/{tenant_id}", json=demo, headers=AUTH)
    assert created.status_code == 201 and created.json()["demo"] is True
    async with runtime.db.unit_of_work(tenant=tenant_id) as s:
        await create_user(
            s,
            tenant_id=tenant_id,
            email="prospect@demo.example",
            name="Prospect",
            role=Role.OWNER,
            password="a long enough password",
            now=datetime.now(UTC),
        )
        s.add(
            Customer(
                id=uuid.uuid4(),
                tenant_id=tenant_id,
                account_number="C-1",
                name="Sample Customer",
                status="active",
                status_changed_at=datetime.now(UTC),
                created_at=datetime.now(UTC),
                updated_at=datetime.now(UTC),
            )
        )
    host = {"Host": f"{slug}.localhost"}
    for _ in range(2):
        login = await client.post(
            "/api/v1/auth/login",
            json={"email": "prospect@demo.example", "password": "a long enough password"},
            headers=host,
        )
        assert login.status_code == 200, login.text

    async def used() -> list[str]:
        async with runtime.db.unit_of_work() as s:
            return list(
                (
                    await s.execute(
                        select(messaging.outbox.c.subject).where(
                            messaging.outbox.c.ce_subject == str(tenant_id),
                            messaging.outbox.c.subject == "dotmac.tenant.tenant.used.v1",
                        )
                    )
                ).scalars()
            )

    assert len(await used()) == 1, "two sign-ins within the hour: announced once"
    async with runtime.db.unit_of_work() as s:  # an hour later, it counts again
        later = datetime.now(UTC) + timedelta(hours=1, minutes=1)
        assert await record_use(s, runtime.outbox, tenant_id, now=later)
    assert len(await used()) == 2

    # Converted: the paid ISP's slug, host and tier; the demo's data kept.
    paid = {**spec(f"paid-{slug}"), "tier": "enterprise", "name": "Paid Fiber"}
    converted = await client.put(f"/internal/v1/tenants/{tenant_id}", json=paid, headers=AUTH)
    assert converted.status_code == 200, converted.text
    body = converted.json()
    assert (body["slug"], body["host"], body["tier"], body["demo"]) == (
        f"paid-{slug}",
        f"paid-{slug}.localhost",
        "enterprise",
        False,
    )
    async with runtime.db.unit_of_work(tenant=tenant_id) as s:
        assert (await s.execute(select(func.count()).select_from(Customer))).scalar_one() == 1
    # A paid tenant is no longer a demo: sign-ins are not tracked, and it cannot be re-keyed.
    async with runtime.db.unit_of_work() as s:
        assert not await record_use(s, runtime.outbox, tenant_id, now=later + timedelta(hours=2))
    again = await client.put(
        f"/internal/v1/tenants/{tenant_id}", json=spec(f"other-{slug}"), headers=AUTH
    )
    assert again.status_code == 409
