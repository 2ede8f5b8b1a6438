"""The tier catalogue over HTTP, and licences issued from TenantActivated, on real Postgres
and NATS."""

import asyncio
import uuid
from datetime import UTC, datetime

import jwt
import pytest
from sqlalchemy import func, select

from dotmac_contracts.events import CustomerCount as Count
from dotmac_contracts.events import (
    CustomersCounted,
    LicenceChanged,
    LicenceIssued,
    TenantActivated,
)
from licensing.licences.verification import verify_licence
from licensing.models import CustomerCount, Licence, messaging

pytestmark = pytest.mark.integration
OPERATOR = {"Authorization": "Bearer licensing-test-internal-token"}


async def test_the_tier_catalogue(api):
    client, _, _ = api
    tiers = (await client.get("/api/v1/tiers")).json()["tiers"]
    assert [t["name"] for t in tiers] == ["free", "basic", "premium", "enterprise"]
    free = tiers[0]
    assert free["price_cents"] == 0 and free["customer_cap"] == 100
    assert set(free["plugins"]) == {"customer_management", "basic_billing", "user_auth"}
    assert tiers[3]["customer_cap"] is None
    assert [(t["api_access"], t["api_rate_per_minute"]) for t in tiers] == [
        ("none", None),
        ("limited", 60),
        ("full", 1_200),
        ("full", 1_200),
    ]
    plugins = (await client.get("/api/v1/licensing/plugins")).json()["plugins"]
    assert {"name": "white_label", "lowest_tier": "enterprise"} in plugins


async def test_an_activated_tenant_gets_one_verifiable_licence(api, publish):
    client, runtime, _ = api
    isp_id = uuid.uuid4()
    event = TenantActivated(
        isp_id=isp_id,
        slug="acme",
        tier="premium",
        host="acme.localhost",
        activated_at=datetime.now(UTC),
    )
    await publish(event, event)  # the same fact twice, under two event ids: one licence

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


async def test_tier_changes_replace_the_licence_and_downgrades_must_fit_the_customers(
    api, publish, licensed_isp
):
    client, runtime, _ = api
    basic = await licensed_isp("basic")
    isp_id = uuid.UUID(basic["isp_id"])
    url = f"/internal/v1/licences/{isp_id}/tier"

    premium = await client.post(url, json={"tier": "premium"}, headers=OPERATOR)
    assert premium.status_code == 200, premium.text
    body = premium.json()
    assert body["tier"] == "premium" and body["customer_cap"] == 10_000
    assert body["licence_id"] != basic["licence_id"] and body["token"] != basic["token"]
    keys = (await client.get("/.well-known/dotmac-licence-keys")).json()
    assert verify_licence(body["token"], keys).tier == "premium"
    again = await client.post(url, json={"tier": "premium"}, headers=OPERATOR)
    assert again.json()["licence_id"] == body["licence_id"], "same tier: nothing changes"

    await publish(
        CustomersCounted(
            counts=[Count(isp_id=isp_id, customers=1_250, counted_at=datetime.now(UTC))]
        )
    )
    for _ in range(100):  # until licensing has recorded the count
        async with runtime.db.unit_of_work() as s:
            if await s.get(CustomerCount, isp_id) is not None:
                break
        await asyncio.sleep(0.05)
    refused = await client.post(url, json={"tier": "basic"}, headers=OPERATOR)
    assert refused.status_code == 409
    problem = refused.json()
    assert (problem["customers"], problem["customer_cap"], problem["over_by"]) == (
        1_250,
        1_000,
        250,
    )
    assert "250 over" in problem["detail"]
    still = (await client.get(f"/api/v1/licensing/isps/{isp_id}/licence")).json()
    assert still["tier"] == "premium", "a refused change changes nothing"
    assert (await client.post(url, json={"tier": "enterprise"}, headers=OPERATOR)).json()[
        "customer_cap"
    ] is None

    async with runtime.db.unit_of_work() as s:
        changes = (
            await s.execute(
                select(func.count())
                .select_from(messaging.outbox)
                .where(
                    messaging.outbox.c.ce_subject == str(isp_id),
                    messaging.outbox.c.subject == LicenceChanged.subject,
                )
            )
        ).scalar_one()
    assert changes == 2


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"tier": "platinum"}, 422),
        ({}, 422),
        ({"tier": "basic", "extra": 1}, 422),
        ({"tier": None}, 422),
    ],
)
async def test_bad_tier_changes_are_refused(api, body, status):
    client, _, _ = api
    assert (
        await client.post(f"/internal/v1/licences/{uuid.uuid4()}/tier", json=body, headers=OPERATOR)
    ).status_code == status


async def test_changing_the_tier_of_an_isp_without_a_licence_is_a_404(api):
    client, _, _ = api
    response = await client.post(
        f"/internal/v1/licences/{uuid.uuid4()}/tier", json={"tier": "basic"}, headers=OPERATOR
    )
    assert response.status_code == 404


def claims_of(token: str, keys: dict) -> dict:
    verify_licence(token, keys)  # the platform signed it
    return jwt.decode(token, options={"verify_signature": False})


@pytest.mark.parametrize(("tier", "rate"), [("free", None), ("basic", 60), ("enterprise", 1_200)])
async def test_an_issued_licence_its_token_and_its_event_carry_the_tiers_api_rate(
    api, licensed_isp, announced, tier, rate
):
    client, _, _ = api
    licence = await licensed_isp(tier)
    assert licence["api_rate_per_minute"] == rate
    keys = (await client.get("/.well-known/dotmac-licence-keys")).json()
    claims = claims_of(licence["token"], keys)
    assert "api_rate_per_minute" in claims and claims["api_rate_per_minute"] == rate
    [issued] = await announced(uuid.UUID(licence["isp_id"]))
    assert isinstance(issued, LicenceIssued)
    assert (issued.api_rate_per_minute, issued.token) == (rate, licence["token"])


async def test_a_tier_change_carries_the_new_tiers_api_rate(api, licensed_isp, announced):
    client, _, _ = api
    free = await licensed_isp("free")
    isp_id = free["isp_id"]
    assert free["api_rate_per_minute"] is None

    premium = (
        await client.post(
            f"/internal/v1/licences/{isp_id}/tier", json={"tier": "premium"}, headers=OPERATOR
        )
    ).json()
    assert premium["api_rate_per_minute"] == 1_200
    keys = (await client.get("/.well-known/dotmac-licence-keys")).json()
    assert claims_of(premium["token"], keys)["api_rate_per_minute"] == 1_200
    basic = (
        await client.post(
            f"/internal/v1/licences/{isp_id}/tier", json={"tier": "basic"}, headers=OPERATOR
        )
    ).json()
    assert claims_of(basic["token"], keys)["api_rate_per_minute"] == 60

    changes = [e for e in await announced(uuid.UUID(isp_id)) if isinstance(e, LicenceChanged)]
    assert [(e.tier, e.api_rate_per_minute) for e in changes] == [("premium", 1_200), ("basic", 60)]
    current = (await client.get(f"/api/v1/licensing/isps/{isp_id}/licence")).json()
    assert current["api_rate_per_minute"] == 60


async def test_every_start_announces_the_catalogue_dated_as_first_announced(api):
    """A subscriber that missed the catalogue hears it at the next start; a repeat carries the
    first announcement's date, so it changes nothing and never outdates a newer version."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from dotmac_contracts.events import TierCatalogPublished
    from licensing.catalogue.publishing import publish_catalog
    from licensing.models import messaging

    _, runtime, _ = api
    later = datetime.now(UTC) + timedelta(days=3)
    async with runtime.db.unit_of_work() as session:
        again = await publish_catalog(session, runtime.outbox, later)
    outbox = messaging.outbox
    async with runtime.db.unit_of_work() as session:
        rows = (
            await session.execute(
                select(outbox.c.data)
                .where(outbox.c.subject == TierCatalogPublished.subject)
                .order_by(outbox.c.id)
            )
        ).all()
    announced = [TierCatalogPublished.model_validate_json(data) for (data,) in rows]
    assert len(announced) >= 2  # the start's, and this one
    assert {e.version for e in announced} == {again.version}
    assert {e.published_at for e in announced} == {announced[0].published_at}
    assert again.published_at < later
