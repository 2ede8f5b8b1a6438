"""The tier catalogue over HTTP, and licences issued from TenantActivated, on real Postgres
and NATS."""

import asyncio
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select

from dotmac_contracts import encode_event
from dotmac_contracts.events import LicenceIssued, TenantActivated
from licensing.config import Settings
from licensing.entrypoints.api import create_app
from licensing.models import Licence, messaging
from servicekit.bus import connect
from servicekit.config import PlatformSettings
from servicekit.licences import verify_licence

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def api(migrated_database, nats_server, tmp_path_factory):
    platform = PlatformSettings(database_url=migrated_database, nats_url=nats_server.url)
    key_file = tmp_path_factory.mktemp("licensing") / "key.pem"
    app = create_app(Settings(platform=platform, signing_key_file=key_file))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://licensing") as c:
            yield c, app.state.runtime, nats_server


async def test_the_tier_catalogue(api):
    client, _, _ = api
    tiers = (await client.get("/api/v1/tiers")).json()["tiers"]
    assert [t["name"] for t in tiers] == ["free", "basic", "premium", "enterprise"]
    free = tiers[0]
    assert free["price_cents"] == 0 and free["customer_cap"] == 100
    assert set(free["plugins"]) == {"customer_management", "basic_billing", "user_auth"}
    assert tiers[3]["customer_cap"] is None
    plugins = (await client.get("/api/v1/licensing/plugins")).json()["plugins"]
    assert {"name": "white_label", "lowest_tier": "enterprise"} in plugins


async def test_an_activated_tenant_gets_one_verifiable_licence(api):
    client, runtime, nats_server = api
    isp_id = uuid.uuid4()
    event = TenantActivated(
        isp_id=isp_id,
        slug="acme",
        tier="premium",
        host="acme.localhost",
        activated_at=datetime.now(UTC),
    )
    nc = await connect(nats_server.url, name="licensing-test")
    for _ in range(2):  # the same fact twice, under two event ids: one licence
        envelope = encode_event(
            event, event_id=str(uuid.uuid4()), source="tenant-api", time=datetime.now(UTC)
        )
        await nc.jetstream().publish(event.subject, envelope.data, headers=envelope.headers())
    await nc.close()

    for _ in range(100):
        response = await client.get(f"/api/v1/licensing/isps/{isp_id}/licence")
        if response.status_code == 200:
            break
        await asyncio.sleep(0.05)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["tier"] == "premium" and body["customer_cap"] == 10_000
    assert "snmp_integration" in body["plugins"] and "white_label" not in body["plugins"]

    keys = (await client.get("/.well-known/dotmac-licence-keys")).json()
    licence = verify_licence(body["token"], keys)
    assert licence.isp_id == isp_id and licence.tier == "premium"
    assert licence.plugins == frozenset(body["plugins"])

    await asyncio.sleep(0.5)  # let the duplicate arrive
    async with runtime.db.unit_of_work() as s:
        licences = (
            await s.execute(
                select(func.count()).select_from(Licence).where(Licence.isp_id == isp_id)
            )
        ).scalar_one()
        announced = (
            await s.execute(
                select(func.count())
                .select_from(messaging.outbox)
                .where(
                    messaging.outbox.c.ce_subject == str(isp_id),
                    messaging.outbox.c.subject == LicenceIssued.subject,
                )
            )
        ).scalar_one()
    assert (licences, announced) == (1, 1)


async def test_the_licence_of_an_unknown_isp_is_a_404(api):
    client, _, _ = api
    response = await client.get(f"/api/v1/licensing/isps/{uuid.uuid4()}/licence")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert (await client.get("/api/v1/licensing/isps/nope/licence")).status_code == 422
