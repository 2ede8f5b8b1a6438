"""Operators (billing, later) suspend, reinstate and revoke licences over licensing's internal
routes, on real Postgres and NATS: each change is announced once, a repeat changes nothing."""

import asyncio
import uuid

import pytest
from sqlalchemy import select

from dotmac_contracts.events import (
    LicenceChanged,
    LicenceIssued,
    LicenceReinstated,
    LicenceRevoked,
    LicenceSuspended,
)
from licensing.models import messaging

pytestmark = pytest.mark.integration
OPERATOR = {"Authorization": "Bearer licensing-test-internal-token"}

ROUTES = ("suspend", "reinstate", "revoke", "tier")


def route(isp_id, action: str) -> str:
    return f"/internal/v1/licences/{isp_id}/{action}"


def body_for(action: str) -> dict | None:
    if action == "tier":
        return {"tier": "premium"}
    return None if action == "reinstate" else {"reason": f"{action} in a test"}


async def test_suspend_reinstate_and_revoke_are_announced_once_each(
    api, licensed_isp, announced, operator
):
    client, _, _ = api
    licence = await licensed_isp("basic")
    isp_id, licence_id = licence["isp_id"], licence["licence_id"]
    assert (licence["status"], licence["status_reason"], licence["status_changed_at"]) == (
        "active",
        None,
        None,
    )

    unpaid = "Invoice INV-1042 is 30 days overdue"
    for _ in range(2):  # the second changes nothing
        suspended = await client.post(
            route(isp_id, "suspend"), json={"reason": unpaid}, headers=operator
        )
        assert suspended.status_code == 200, suspended.text
        body = suspended.json()
        assert (body["status"], body["status_reason"]) == ("suspended", unpaid)
        assert body["licence_id"] == licence_id and body["token"] == licence["token"]
    again = await client.post(
        route(isp_id, "suspend"), json={"reason": "another reason"}, headers=operator
    )
    assert again.json()["status_reason"] == unpaid, "the first reason stays"
    assert again.json()["status_changed_at"] == body["status_changed_at"]
    shown = (await client.get(f"/api/v1/licensing/isps/{isp_id}/licence")).json()
    assert (shown["status"], shown["status_reason"]) == ("suspended", unpaid)

    for _ in range(2):
        reinstated = await client.post(route(isp_id, "reinstate"), headers=operator)
        assert reinstated.status_code == 200, reinstated.text
        assert (reinstated.json()["status"], reinstated.json()["status_reason"]) == (
            "active",
            None,
        )

    abuse = "Spam sent from the ISP's mail relay"
    for _ in range(2):
        revoked = await client.post(
            route(isp_id, "revoke"), json={"reason": abuse}, headers=operator
        )
        assert revoked.status_code == 200, revoked.text
        assert (revoked.json()["status"], revoked.json()["status_reason"]) == ("revoked", abuse)

    events = await announced(uuid.UUID(isp_id))
    assert [type(e) for e in events] == [
        LicenceIssued,
        LicenceSuspended,
        LicenceReinstated,
        LicenceRevoked,
    ]
    _, suspended_event, reinstated_event, revoked_event = events
    assert all(str(e.licence_id) == licence_id for e in events)
    assert suspended_event.reason == unpaid and revoked_event.reason == abuse
    assert suspended_event.suspended_at < reinstated_event.reinstated_at < revoked_event.revoked_at


async def test_status_changes_reach_nats(api, licensed_isp, operator):
    client, runtime, _ = api
    isp_id = (await licensed_isp("premium"))["isp_id"]
    await client.post(route(isp_id, "suspend"), json={"reason": "unpaid"}, headers=operator)
    outbox = messaging.outbox
    for _ in range(100):
        async with runtime.db.unit_of_work() as s:
            published_at = (
                await s.execute(
                    select(outbox.c.published_at).where(
                        outbox.c.ce_subject == isp_id,
                        outbox.c.subject == LicenceSuspended.subject,
                    )
                )
            ).scalar_one()
        if published_at is not None:
            break
        await asyncio.sleep(0.05)
    assert published_at is not None, "the relay published LicenceSuspended to JetStream"


async def test_a_suspended_licence_is_revoked_directly(api, licensed_isp, announced, operator):
    client, _, _ = api
    isp_id = (await licensed_isp("basic"))["isp_id"]
    await client.post(route(isp_id, "suspend"), json={"reason": "unpaid"}, headers=operator)
    revoked = await client.post(
        route(isp_id, "revoke"), json={"reason": "cancelled"}, headers=operator
    )
    assert (revoked.json()["status"], revoked.json()["status_reason"]) == ("revoked", "cancelled")
    assert [type(e) for e in await announced(uuid.UUID(isp_id))][-1] is LicenceRevoked


async def test_a_revoked_licence_is_not_reinstated_suspended_or_moved(
    api, licensed_isp, announced, operator
):
    client, _, _ = api
    isp_id = (await licensed_isp("premium"))["isp_id"]
    await client.post(route(isp_id, "revoke"), json={"reason": "cancelled"}, headers=operator)
    before = await announced(uuid.UUID(isp_id))

    reinstate = await client.post(route(isp_id, "reinstate"), headers=operator)
    assert reinstate.status_code == 409
    assert reinstate.headers["content-type"] == "application/problem+json"
    assert "new licence is needed" in reinstate.json()["detail"]
    suspend = await client.post(route(isp_id, "suspend"), json={"reason": "x"}, headers=operator)
    assert suspend.status_code == 409
    tier = await client.post(
        f"/internal/v1/licences/{isp_id}/tier", json={"tier": "enterprise"}, headers=OPERATOR
    )
    assert tier.status_code == 409
    assert tier.headers["content-type"] == "application/problem+json"
    assert "new licence is needed" in tier.json()["detail"]

    shown = (await client.get(f"/api/v1/licensing/isps/{isp_id}/licence")).json()
    assert (shown["status"], shown["tier"]) == ("revoked", "premium")
    assert await announced(uuid.UUID(isp_id)) == before, "refusals announce nothing"


async def test_a_suspended_licence_changes_tier_and_stays_suspended(
    api, licensed_isp, announced, operator
):
    client, _, _ = api
    basic = await licensed_isp("basic")
    isp_id = basic["isp_id"]
    suspended = await client.post(
        route(isp_id, "suspend"), json={"reason": "unpaid"}, headers=operator
    )
    changed = await client.post(
        f"/internal/v1/licences/{isp_id}/tier", json={"tier": "premium"}, headers=OPERATOR
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["tier"], body["api_rate_per_minute"]) == ("premium", 1_200)
    assert (body["status"], body["status_reason"]) == ("suspended", "unpaid")
    assert body["status_changed_at"] == suspended.json()["status_changed_at"]
    assert body["licence_id"] != basic["licence_id"]

    changed_event = (await announced(uuid.UUID(isp_id)))[-1]
    assert isinstance(changed_event, LicenceChanged)
    assert str(changed_event.licence_id) == body["licence_id"]

    # Reinstating brings the new licence into force.
    reinstated = await client.post(route(isp_id, "reinstate"), headers=operator)
    assert (reinstated.json()["status"], reinstated.json()["licence_id"]) == (
        "active",
        body["licence_id"],
    )
    last = (await announced(uuid.UUID(isp_id)))[-1]
    assert isinstance(last, LicenceReinstated) and str(last.licence_id) == body["licence_id"]


@pytest.mark.parametrize("action", ROUTES)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "licensing-test-internal-token"},
        {"Authorization": ""},
    ],
    ids=["missing", "wrong", "not-bearer", "empty"],
)
async def test_the_internal_routes_need_the_internal_token(
    api, licensed_isp, announced, action, headers
):
    client, _, _ = api
    isp_id = (await licensed_isp("basic"))["isp_id"]
    response = await client.post(route(isp_id, action), json=body_for(action), headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    shown = (await client.get(f"/api/v1/licensing/isps/{isp_id}/licence")).json()
    assert shown["status"] == "active"
    assert [type(e) for e in await announced(uuid.UUID(isp_id))] == [LicenceIssued]


@pytest.mark.parametrize("action", ROUTES)
async def test_without_the_token_a_bad_request_is_still_a_401(api, action):
    client, _, _ = api
    response = await client.post(route("not-a-uuid", action), json={"reason": 7})
    assert response.status_code == 401


@pytest.mark.parametrize("action", ROUTES)
async def test_an_isp_without_a_licence_is_a_404(api, operator, action):
    client, _, _ = api
    response = await client.post(
        route(uuid.uuid4(), action), json=body_for(action), headers=operator
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("action", ["suspend", "revoke"])
@pytest.mark.parametrize(
    "body",
    [
        None,
        {},
        {"reason": ""},
        {"reason": "   "},
        {"reason": "x" * 501},
        {"reason": 42},
        {"reason": None},
        {"reason": ["unpaid"]},
        {"reason": "unpaid", "until": "tomorrow"},
        {"reason": "unpaid\x00"},
    ],
    ids=[
        "no-body",
        "missing",
        "empty",
        "blank",
        "too-long",
        "number",
        "null",
        "list",
        "extra-field",
        "control-char",
    ],
)
async def test_a_bad_reason_is_a_422_and_changes_nothing(
    api, licensed_isp, announced, operator, action, body
):
    client, _, _ = api
    isp_id = (await licensed_isp("basic"))["isp_id"]
    response = await client.post(route(isp_id, action), json=body, headers=operator)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"]
    assert [type(e) for e in await announced(uuid.UUID(isp_id))] == [LicenceIssued]


@pytest.mark.parametrize("action", ROUTES)
async def test_a_malformed_isp_id_is_a_422(api, operator, action):
    client, _, _ = api
    response = await client.post(route("nope", action), json=body_for(action), headers=operator)
    assert response.status_code == 422


async def test_a_reason_of_500_characters_is_kept_trimmed(api, licensed_isp, operator):
    client, _, _ = api
    isp_id = (await licensed_isp("basic"))["isp_id"]
    reason = "r" * 500
    response = await client.post(
        route(isp_id, "suspend"), json={"reason": f"  {reason} "}, headers=operator
    )
    assert response.status_code == 200 and response.json()["status_reason"] == reason


@pytest.mark.parametrize("gone", ["offboarded", "demo removed"])
async def test_an_isp_that_is_gone_has_its_licence_revoked(api, licensed_isp, publish, gone):
    from datetime import UTC, datetime

    from dotmac_contracts.events import DemoRemoved, OffboardingCompleted

    client, _, _ = api
    isp_id = uuid.UUID((await licensed_isp("basic"))["isp_id"])
    never_licensed = uuid.uuid4()
    now = datetime.now(UTC)
    events = (
        [
            OffboardingCompleted(isp_id=i, destroyed=["all"], completed_at=now)
            for i in (never_licensed, isp_id)
        ]
        if gone == "offboarded"
        else [DemoRemoved(isp_id=i, removed_at=now) for i in (never_licensed, isp_id)]
    )
    await publish(*events)
    for _ in range(100):
        shown = (await client.get(f"/api/v1/licensing/isps/{isp_id}/licence")).json()
        if shown["status"] == "revoked":
            break
        await asyncio.sleep(0.05)
    assert (shown["status"], shown["status_reason"]) == ("revoked", gone)
    unknown = await client.get(f"/api/v1/licensing/isps/{never_licensed}/licence")
    assert unknown.status_code == 404


async def test_billing_suspends_the_licence_of_an_unpaid_isp_and_reinstates_it_when_paid(
    api, licensed_isp, publish
):
    """Dunning's day 14 (`BillingStatusChanged` to suspended) suspends the licence; a payment
    (back to active) reinstates it. A redelivered move changes nothing more."""
    from datetime import UTC, datetime

    from dotmac_contracts.events import BillingStatusChanged

    client, _, _ = api
    isp_id = uuid.UUID((await licensed_isp("basic"))["isp_id"])

    def moved(previous, status):
        return BillingStatusChanged(
            isp_id=isp_id,
            previous=previous,
            status=status,
            reason="unpaid for 14 days: suspended",
            changed_at=datetime.now(UTC),
        )

    async def licence_when(status):
        for _ in range(100):
            body = (await client.get(f"/api/v1/licensing/isps/{isp_id}/licence")).json()
            if body["status"] == status:
                return body
            await asyncio.sleep(0.05)
        raise AssertionError(f"the licence never became {status}")

    await publish(moved("active", "past_due"))  # past due alone changes nothing
    await publish(moved("past_due", "suspended"))
    suspended = await licence_when("suspended")
    assert suspended["status_reason"] == "billing: unpaid for 14 days: suspended"
    await publish(moved("suspended", "active"))
    reinstated = await licence_when("active")
    assert reinstated["status_reason"] is None


async def test_a_tier_billing_says_is_paid_gets_its_licence_unless_the_customers_outgrew_it(
    api, licensed_isp, publish
):
    """`BillingTierChanged` (Stripe confirmed the move) changes the licence's tier; if the
    ISP's customers grew past the new tier's cap in between, licensing's rule holds."""
    from datetime import UTC, datetime

    from dotmac_contracts.events import BillingTierChanged, CustomerCount, CustomersCounted
    from dotmac_contracts.vocabulary import Tier

    client, _, _ = api
    isp_id = uuid.UUID((await licensed_isp("basic"))["isp_id"])

    async def licence_when(tier):
        for _ in range(100):
            body = (await client.get(f"/api/v1/licensing/isps/{isp_id}/licence")).json()
            if body["tier"] == tier:
                return body
            await asyncio.sleep(0.05)
        raise AssertionError(f"the licence never became {tier}")

    def paid(previous, tier):
        return BillingTierChanged(
            isp_id=isp_id, previous_tier=previous, tier=tier, changed_at=datetime.now(UTC)
        )

    await publish(paid(Tier.BASIC, Tier.PREMIUM))
    premium = await licence_when("premium")
    assert "network_monitoring" in premium["plugins"] and premium["customer_cap"] == 10_000

    await publish(
        CustomersCounted(
            counts=[CustomerCount(isp_id=isp_id, customers=150, counted_at=datetime.now(UTC))]
        )
    )
    await publish(paid(Tier.PREMIUM, Tier.FREE))  # 150 customers do not fit in free's 100
    await publish(paid(Tier.PREMIUM, Tier.BASIC))  # the next event: handled after the refusal
    basic = await licence_when("basic")
    assert basic["customer_cap"] == 1_000
