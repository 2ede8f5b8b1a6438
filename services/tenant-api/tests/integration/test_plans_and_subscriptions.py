"""Service plans, custom packages and subscriptions, on real Postgres: what an ISP sells, who
is on what from when, and the history plan changes and cancellations leave."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tenant_api.identity.auth.roles import Role
from tenant_api.models import ServicePlan, Subscription

pytestmark = pytest.mark.integration

FIBER = {"name": "Fiber 100", "download_mbps": 100, "upload_mbps": 100, "price": "39.00"}
GIGABIT = {
    "name": "Gigabit",
    "download_mbps": 1000,
    "upload_mbps": 500,
    "price": "207.00",
    "setup_fee": "99.5",
    "billing_cycle": "quarterly",
    "data_cap_gb": 2000,
}


async def post(isp, path, body, role=Role.OWNER, expect=201):
    response = await isp.client.post(path, json=body, headers=isp.as_(role))
    assert response.status_code == expect, response.text
    return response.json()


async def customer(isp, name="Ann Lee", **fields):
    return await post(isp, "/api/v1/customers", {"name": name, **fields})


async def test_plans_keep_their_terms_and_money_exactly(business_isp):
    isp = await business_isp()
    fiber = await post(isp, "/api/v1/plans", FIBER, role=Role.BILLING)
    gig = await post(isp, "/api/v1/plans", GIGABIT)
    assert (fiber["price"], fiber["setup_fee"], fiber["currency"], fiber["billing_cycle"]) == (
        "39.00",
        "0.00",
        "USD",
        "monthly",
    )
    assert (gig["setup_fee"], gig["data_cap_gb"], fiber["data_cap_gb"]) == ("99.50", 2000, None)
    listed = (await isp.client.get("/api/v1/plans", headers=isp.as_(Role.READ_ONLY))).json()
    assert [p["name"] for p in listed["items"]] == ["Fiber 100", "Gigabit"]
    duplicate = await isp.client.post("/api/v1/plans", json=FIBER, headers=isp.owner)
    assert duplicate.status_code == 409
    support = await isp.client.post("/api/v1/plans", json=FIBER, headers=isp.as_(Role.SUPPORT))
    assert support.status_code == 403 and support.json()["permission"] == "billing:write"
    for bad in (
        {**FIBER, "name": "X", "price": "-1"},
        {**FIBER, "name": "X", "price": "1.001"},
        {**FIBER, "name": "X", "price": "1e9"},
        {**FIBER, "name": "X", "download_mbps": 0},
        {**FIBER, "name": "X", "billing_cycle": "weekly"},
        {**FIBER, "name": "X", "currency": "usd"},
        {**FIBER, "name": "X", "customer_id": "00000000-0000-0000-0000-000000000000"},
        {k: v for k, v in FIBER.items() if k != "price"},
    ):
        refused = await isp.client.post("/api/v1/plans", json=bad, headers=isp.owner)
        assert refused.status_code == 422, (bad, refused.text)
    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        assert len((await session.execute(select(ServicePlan))).all()) == 2


async def test_a_sold_plan_keeps_its_terms_and_a_retired_one_takes_no_one_new(business_isp):
    isp = await business_isp()
    plan = await post(isp, "/api/v1/plans", FIBER)
    path = f"/api/v1/plans/{plan['id']}"
    repriced = await isp.client.patch(path, json={"price": "35.00"}, headers=isp.owner)
    assert repriced.json()["price"] == "35.00", "unsold: its terms may still change"
    ann = await customer(isp)
    await post(isp, f"/api/v1/customers/{ann['id']}/subscriptions", {"plan_id": plan["id"]})
    sold = await isp.client.patch(path, json={"price": "29.00", "name": "X"}, headers=isp.owner)
    assert sold.status_code == 409 and sold.json()["fields"] == ["price"]
    renamed = await isp.client.patch(
        path, json={"name": "Fiber 100 (2025)", "price": "35.00"}, headers=isp.owner
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Fiber 100 (2025)"

    retired = await post(isp, f"{path}/retire", {}, expect=200)
    assert retired["status"] == "retired" and retired["retired_at"]
    assert (await post(isp, f"{path}/retire", {}, expect=200)) == retired
    bob = await customer(isp, "Bob Ray")
    refused = await isp.client.post(
        f"/api/v1/customers/{bob['id']}/subscriptions",
        json={"plan_id": plan["id"]},
        headers=isp.owner,
    )
    assert refused.status_code == 409 and "retired" in refused.json()["detail"]
    on_it = (
        await isp.client.get(
            "/api/v1/subscriptions", params={"plan_id": plan["id"]}, headers=isp.owner
        )
    ).json()
    assert on_it["total"] == 1, "those on a retired plan keep it"


async def test_plan_changes_and_cancellation_leave_a_history_without_gaps(business_isp):
    isp = await business_isp()
    fiber = await post(isp, "/api/v1/plans", FIBER)
    gig = await post(isp, "/api/v1/plans", GIGABIT)
    ann = await customer(isp, status="active")
    start = date.today() - timedelta(days=60)
    first = await post(
        isp,
        f"/api/v1/customers/{ann['id']}/subscriptions",
        {"plan_id": fiber["id"], "starts_on": start.isoformat()},
        role=Role.BILLING,
    )
    again = await isp.client.post(
        f"/api/v1/customers/{ann['id']}/subscriptions",
        json={"plan_id": fiber["id"]},
        headers=isp.owner,
    )
    assert again.status_code == 409 and again.json()["subscription_id"] == first["id"]

    upgrade_day = date.today() - timedelta(days=10)
    changed = await post(
        isp,
        f"/api/v1/subscriptions/{first['id']}/change",
        {"plan_id": gig["id"], "on": upgrade_day.isoformat()},
        expect=200,
    )
    assert changed["ended"]["ends_on"] == changed["started"]["starts_on"] == upgrade_day.isoformat()
    assert changed["ended"]["end_reason"] == "changed"
    assert changed["started"]["previous_id"] == first["id"]
    stale = await isp.client.post(
        f"/api/v1/subscriptions/{first['id']}/change",
        json={"plan_id": fiber["id"]},
        headers=isp.owner,
    )
    assert stale.status_code == 409, "an ended subscription does not change"

    await post(
        isp,
        f"/api/v1/customers/{ann['id']}/status",
        {"status": "cancelled", "reason": "Moved out of the service area"},
        expect=200,
    )
    history = (
        await isp.client.get(f"/api/v1/customers/{ann['id']}/subscriptions", headers=isp.owner)
    ).json()["subscriptions"]
    assert [(s["plan_id"], s["starts_on"], s["ends_on"], s["end_reason"]) for s in history] == [
        (fiber["id"], start.isoformat(), upgrade_day.isoformat(), "changed"),
        (gig["id"], upgrade_day.isoformat(), date.today().isoformat(), "cancelled"),
    ]
    assert history[1]["cancellation_reason"] == "Moved out of the service area"
    refused = await isp.client.post(
        f"/api/v1/customers/{ann['id']}/subscriptions",
        json={"plan_id": fiber["id"]},
        headers=isp.owner,
    )
    assert refused.status_code == 409

    on_day = (
        await isp.client.get(
            "/api/v1/subscriptions",
            params={"active_on": (upgrade_day - timedelta(days=1)).isoformat()},
            headers=isp.owner,
        )
    ).json()["items"]
    assert [s["plan_id"] for s in on_day] == [fiber["id"]]

    # The platform heard of each change, and of none of the refused ones.
    changes = await isp.published("dotmac.tenant.subscription.changed.v1")
    assert all(c.pop("changed_at") for c in changes)
    owner, billing = (f"user:{isp.user_ids[r]}" for r in (Role.OWNER, Role.BILLING))
    started = changed["started"]
    assert changes == [
        {
            "isp_id": str(isp.id),
            "subscription_id": first["id"],
            "customer_id": ann["id"],
            "plan_id": fiber["id"],
            "change": "created",
            "starts_on": start.isoformat(),
            "ends_on": None,
            "previous_subscription_id": None,
            "previous_plan_id": None,
            "reason": None,
            "by": billing,
        },
        {
            "isp_id": str(isp.id),
            "subscription_id": started["id"],
            "customer_id": ann["id"],
            "plan_id": gig["id"],
            "change": "plan_changed",
            "starts_on": upgrade_day.isoformat(),
            "ends_on": None,
            "previous_subscription_id": first["id"],
            "previous_plan_id": fiber["id"],
            "reason": None,
            "by": owner,
        },
        {  # the customer's cancellation ended it
            "isp_id": str(isp.id),
            "subscription_id": started["id"],
            "customer_id": ann["id"],
            "plan_id": gig["id"],
            "change": "cancelled",
            "starts_on": upgrade_day.isoformat(),
            "ends_on": date.today().isoformat(),
            "previous_subscription_id": None,
            "previous_plan_id": None,
            "reason": "Moved out of the service area",
            "by": owner,
        },
    ]


async def test_a_cancelled_subscription_is_announced_with_its_last_day_and_reason(business_isp):
    isp = await business_isp()
    fiber = await post(isp, "/api/v1/plans", FIBER)
    ann = await customer(isp, status="active")
    running = await post(
        isp, f"/api/v1/customers/{ann['id']}/subscriptions", {"plan_id": fiber["id"]}
    )
    path = f"/api/v1/subscriptions/{running['id']}/cancel"
    far = (date.today() + timedelta(days=400)).isoformat()
    assert (await isp.client.post(path, json={"on": far}, headers=isp.owner)).status_code == 422
    last = date.today() + timedelta(days=30)
    body = {"on": last.isoformat(), "reason": "Moving away"}
    await post(isp, path, body, role=Role.BILLING, expect=200)
    await post(isp, path, body, expect=409)  # ended already

    created, cancelled = await isp.published("dotmac.tenant.subscription.changed.v1")
    assert (created["change"], cancelled["change"]) == ("created", "cancelled")
    assert cancelled["subscription_id"] == running["id"]
    assert (cancelled["ends_on"], cancelled["reason"]) == (last.isoformat(), "Moving away")
    assert cancelled["by"] == f"user:{isp.user_ids[Role.BILLING]}"


async def test_a_custom_package_is_for_its_customer_only(business_isp):
    isp = await business_isp()
    farm = await customer(isp, "Valley Farms LLC", kind="business")
    other = await customer(isp, "Bob Ray")
    package = await post(
        isp,
        "/api/v1/plans",
        {**FIBER, "name": "Valley Farms 300/300", "customer_id": farm["id"], "price": "120"},
    )
    catalogue = (
        await isp.client.get("/api/v1/plans", params={"custom": "false"}, headers=isp.owner)
    ).json()
    assert catalogue["items"] == []
    theirs = (
        await isp.client.get("/api/v1/plans", params={"customer_id": farm["id"]}, headers=isp.owner)
    ).json()
    assert [p["id"] for p in theirs["items"]] == [package["id"]]
    await post(isp, f"/api/v1/customers/{farm['id']}/subscriptions", {"plan_id": package["id"]})
    refused = await isp.client.post(
        f"/api/v1/customers/{other['id']}/subscriptions",
        json={"plan_id": package["id"]},
        headers=isp.owner,
    )
    assert refused.status_code == 422 and refused.json()["field"] == "plan_id"


async def test_bad_subscription_requests_are_4xx_and_change_nothing(business_isp):
    isp = await business_isp()
    plan = await post(isp, "/api/v1/plans", FIBER)
    ann = await customer(isp)
    path = f"/api/v1/customers/{ann['id']}/subscriptions"
    far = (date.today() + timedelta(days=400)).isoformat()
    for body, status in (
        ({}, 422),
        ({"plan_id": "nope"}, 422),
        ({"plan_id": plan["id"], "starts_on": far}, 422),
        ({"plan_id": plan["id"], "starts_on": "2025-02-30"}, 422),
        ({"plan_id": "00000000-0000-0000-0000-000000000000"}, 422),
        ({"plan_id": plan["id"], "extra": 1}, 422),
    ):
        response = await isp.client.post(path, json=body, headers=isp.owner)
        assert response.status_code == status, (body, response.text)
    unknown = await isp.client.post(
        "/api/v1/customers/00000000-0000-0000-0000-000000000000/subscriptions",
        json={"plan_id": plan["id"]},
        headers=isp.owner,
    )
    assert unknown.status_code == 404
    sub = await post(isp, path, {"plan_id": plan["id"]})
    before = date.fromisoformat(sub["starts_on"]) - timedelta(days=1)
    early = await isp.client.post(
        f"/api/v1/subscriptions/{sub['id']}/cancel",
        json={"on": before.isoformat()},
        headers=isp.owner,
    )
    assert early.status_code == 422
    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        rows = (await session.execute(select(Subscription))).scalars().all()
    assert [(r.id.hex, r.ends_on) for r in rows] == [(sub["id"].replace("-", ""), None)]

    cancelled = await post(
        isp, f"/api/v1/subscriptions/{sub['id']}/cancel", {"reason": "Too slow"}, expect=200
    )
    assert (cancelled["end_reason"], cancelled["ends_on"]) == (
        "cancelled",
        date.today().isoformat(),
    )


async def test_plans_and_subscriptions_need_basic_billing(business_isp):
    isp = await business_isp(tier="free", plugins=("customer_management", "user_auth"))
    refused = await isp.client.get("/api/v1/plans", headers=isp.owner)
    assert refused.status_code == 403 and refused.json()["plugin"] == "basic_billing"
    assert (await isp.client.get("/api/v1/subscriptions", headers=isp.owner)).status_code == 403
