"""Sample data loaded into tenants on real Postgres, by API, internal route and CLI: all of a
scenario or none of it, only into an empty tenant, within the tier's cap, in silos too."""

import asyncio
import json
import os
import sys
from datetime import date

import pytest
from sqlalchemy import func, select

from tenant_api.demo import scenarios
from tenant_api.demo.endpoints import ScenarioName
from tenant_api.identity.auth.roles import Role
from tenant_api.models import (
    Customer,
    CustomerStatusChange,
    Device,
    ServicePlan,
    Subscription,
    Ticket,
    TicketComment,
)

pytestmark = pytest.mark.integration
TABLES = (Customer, CustomerStatusChange, ServicePlan, Subscription, Device, Ticket, TicketComment)


async def counts(isp) -> dict[str, int]:
    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        return {
            model.__tablename__: await session.scalar(select(func.count()).select_from(model))
            for model in TABLES
        }


def test_the_api_offers_exactly_the_scenarios_there_are():
    from typing import get_args

    assert get_args(ScenarioName) == scenarios.SCENARIOS


@pytest.mark.parametrize("isolation", ["shared", "silo"])
async def test_a_scenario_loads_whole_and_reads_back_through_the_api(business_isp, isolation):
    isp = await business_isp(isolation=isolation)
    response = await isp.client.post(
        "/api/v1/demo-data", json={"scenario": "small"}, headers=isp.owner
    )
    assert response.status_code == 201, response.text
    loaded = response.json()
    expected = scenarios.build("small", date.fromisoformat(loaded["anchor"]))
    assert (loaded["customers"], loaded["plans"], loaded["devices"], loaded["tickets"]) == (
        50,
        3,
        10,
        5,
    )
    stored = await counts(isp)
    assert stored["customers"] == 50 and stored["devices"] == 10 and stored["tickets"] == 5
    assert stored["customer_status_changes"] == sum(len(c.history) for c in expected.customers)
    assert stored["subscriptions"] == sum(len(c.subscriptions) for c in expected.customers)

    page = (
        await isp.client.get(
            "/api/v1/customers", params={"limit": 200}, headers=isp.as_(Role.READ_ONLY)
        )
    ).json()
    assert {c["name"] for c in page["items"]} == {c.name for c in expected.customers}
    someone = expected.customers[0]
    found = (
        await isp.client.get("/api/v1/customers", params={"q": someone.name}, headers=isp.owner)
    ).json()
    assert someone.account_number in [c["account_number"] for c in found["items"]]
    fresh = await isp.client.post("/api/v1/customers", json={"name": "New One"}, headers=isp.owner)
    assert fresh.json()["account_number"] == "C0000051", "numbering goes on after the sample"
    tickets = (await isp.client.get("/api/v1/tickets", headers=isp.owner)).json()
    assert {t["status"] for t in tickets["items"]} == {"open", "pending", "resolved", "closed"}
    assert all(t["sla_due_at"] for t in tickets["items"]), "enterprise: sla_management"
    devices = (await isp.client.get("/api/v1/devices", headers=isp.owner)).text
    assert '"secrets_stored":true' in devices and "community" not in devices

    again = await isp.client.post(
        "/api/v1/demo-data", json={"scenario": "small"}, headers=isp.owner
    )
    assert again.status_code == 409 and again.json()["has"] == "customers"
    assert (await counts(isp))["customers"] == 51


async def test_a_scenario_past_the_cap_is_refused_whole(business_isp):
    isp = await business_isp(tier="free", cap=100)
    refused = await isp.client.post(
        "/api/v1/demo-data", json={"scenario": "medium"}, headers=isp.owner
    )
    assert refused.status_code == 403 and refused.json()["customer_cap"] == 100
    assert set((await counts(isp)).values()) == {0}


async def test_only_owners_and_admins_load_and_bad_requests_are_4xx(business_isp):
    isp = await business_isp()
    for role in (Role.SUPPORT, Role.BILLING, Role.READ_ONLY):
        denied = await isp.client.post(
            "/api/v1/demo-data", json={"scenario": "small"}, headers=isp.as_(role)
        )
        assert denied.status_code == 403, role
    for body in ({}, {"scenario": "huge"}, {"scenario": "small", "seed": 1}, {"scenario": 1}):
        bad = await isp.client.post("/api/v1/demo-data", json=body, headers=isp.owner)
        assert bad.status_code == 422, body
    assert set((await counts(isp)).values()) == {0}


async def test_the_control_plane_loads_through_the_internal_route(business_isp):
    isp = await business_isp()
    path = f"/internal/v1/tenants/{isp.id}/demo-data"
    unauthorised = await isp.client.post(path, json={"scenario": "small"})
    assert unauthorised.status_code == 401
    loaded = await isp.client.post(
        path,
        json={"scenario": "medium"},
        headers={"Authorization": "Bearer business-internal-token"},
    )
    assert loaded.status_code == 201, loaded.text
    assert loaded.json()["customers"] == 500
    registered = len(await isp.published("dotmac.tenant.device.registered.v1"))
    assert registered == loaded.json()["devices"], "each device announced to the network"


async def cli(*args: str, database_url: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tenant_api",
        "demo-data",
        *args,
        env={**os.environ, "DOTMAC_DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_cli_loads_into_a_tenant_named_by_slug(business_isp, migrated_database):
    isp = await business_isp()
    small = ("--tenant", isp.slug, "--scenario", "small")
    code, out, err = await cli(*small, database_url=migrated_database)
    assert code == 0, err
    assert json.loads(out.splitlines()[-1])["customers"] == 50
    code, _, err = await cli(*small, database_url=migrated_database)
    assert code == 1 and "already has customers" in err
    code, _, err = await cli(
        "--tenant", "nobody", "--scenario", "small", database_url=migrated_database
    )
    assert code == 2 and "No tenant nobody" in err
    assert (await counts(isp))["customers"] == 50
