"""The operator's billing insights on real Postgres, NATS and localstripe: recurring revenue
from subscriptions Stripe confirmed, churn per month from the accounts' history, failed
payments from a real decline, and an ISP's health score with how each factor was scored."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from billing.models import AccountMove, UsageDay
from dotmac_contracts.events import CustomerCount, CustomersCounted, TicketsCounted
from dotmac_contracts.vocabulary import BillingPeriod, Tier

pytestmark = pytest.mark.integration
BASE = "/api/v1/billing/operator"


async def opened(billing_api, publish, harness, tier, period=BillingPeriod.MONTHLY, cap=None):
    await publish(harness.catalogue())
    registration = harness.registered(tier, period)
    await publish(registration)
    await harness.account(billing_api, registration.isp_id, lambda a: a["status"] == "registered")
    licence = harness.licence(registration.isp_id, tier)
    await publish(licence.model_copy(update={"customer_cap": cap}))
    await harness.account(billing_api, registration.isp_id, lambda a: a["status"] == "active")
    return registration


async def insight(billing_api, harness, path, **params):
    answer = await billing_api.get(BASE + path, params=params, headers=harness.operator)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_only_the_operator_token_opens_the_insights(billing_api, harness):
    for path in ("/revenue", "/churn", "/failed-payments", "/health"):
        assert (await billing_api.get(BASE + path)).status_code == 401
        internal = await billing_api.get(BASE + path, headers=harness.internal)
        assert internal.status_code == 401
        assert internal.headers["content-type"] == "application/problem+json"
    bad = await billing_api.get(BASE + "/churn", params={"months": 0}, headers=harness.operator)
    assert bad.status_code == 422


async def test_recurring_revenue_counts_what_subscriptions_charge_per_month(
    billing_api, publish, harness
):
    before = await insight(billing_api, harness, "/revenue")

    await opened(billing_api, publish, harness, Tier.PREMIUM)
    await opened(billing_api, publish, harness, Tier.BASIC, BillingPeriod.ANNUAL)
    await opened(billing_api, publish, harness, Tier.FREE)

    after = await insight(billing_api, harness, "/revenue")
    assert after["mrr_cents"] - before["mrr_cents"] == 14900 + 4900  # annual: 12 x 4900 / 12
    assert after["arr_cents"] == 12 * after["mrr_cents"]
    assert after["paying_isps"] - before["paying_isps"] == 2
    tiers = {t["tier"]: t for t in after["by_tier"]}
    old = {t["tier"]: t for t in before["by_tier"]}
    assert tiers["premium"]["mrr_cents"] - old["premium"]["mrr_cents"] == 14900
    assert tiers["free"]["isps"] - old["free"]["isps"] == 1
    assert tiers["free"]["paying"] == old["free"]["paying"]
    assert after["by_status"]["active"] - before["by_status"].get("active", 0) == 3
    assert after["by_region"]["us-east-1"] - before["by_region"].get("us-east-1", 0) == 3
    assert after["currency"] == "USD"


async def test_churn_is_cancellations_against_the_isps_paying_as_the_month_began(
    billing_api, harness, migrated_database
):
    """The history of moves in the two months before this one (other tests only add moves
    now): four ISPs paying since three months ago, one cancelled last month."""
    now = datetime.now(UTC)
    this_month = datetime(now.year, now.month, 1, tzinfo=UTC)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    before_that = (last_month - timedelta(days=1)).replace(day=1)
    isps = [uuid.uuid4() for _ in range(4)]
    history = [
        AccountMove(isp_id=i, previous="registered", status="active", reason="t", at=before_that)
        for i in isps
    ] + [
        AccountMove(
            isp_id=isps[0],
            previous="suspended",
            status="cancelled",
            reason="t",
            at=last_month + timedelta(days=3),
        )
    ]
    engine = create_async_engine(migrated_database)
    async with engine.begin() as connection:
        await connection.execute(
            AccountMove.__table__.insert(),
            [
                {c: getattr(m, c) for c in ("isp_id", "previous", "status", "reason", "at")}
                for m in history
            ],
        )
    await engine.dispose()

    months = (await insight(billing_api, harness, "/churn", months=3))["months"]

    assert [m["month"] for m in months] == [
        f"{d.year:04d}-{d.month:02d}" for d in (before_that, last_month, this_month)
    ]
    assert months[1] == {
        "month": months[1]["month"],
        "paying_at_start": 4,
        "cancelled": 1,
        "churn_rate": 0.25,
    }
    assert months[2]["paying_at_start"] >= 3  # the three still paying, and any added since


async def test_a_declined_payment_is_listed_until_it_is_recovered(
    billing_api, publish, harness, isp_people
):
    registration = await opened(billing_api, publish, harness, Tier.BASIC)
    isp_id = registration.isp_id
    owner = (await isp_people(isp_id))["owner"]
    base = f"/api/v1/isp/{isp_id}/billing"
    before = (await insight(billing_api, harness, "/failed-payments", months=1))["months"][-1]
    await billing_api.put(
        f"{base}/payment-method",
        json={"payment_method": "pm_card_chargeCustomerFail"},
        headers=owner,
    )
    declined = await billing_api.put(f"{base}/tier", json={"tier": "premium"}, headers=owner)
    assert declined.status_code == 402

    unpaid = await insight(billing_api, harness, "/failed-payments", months=1)
    mine = [u for u in unpaid["outstanding"] if u["isp_id"] == str(isp_id)]
    assert len(mine) == 1 and mine[0]["status"] == "past_due"
    assert mine[0]["past_due_since"] is not None
    assert unpaid["months"][-1]["failed"] == before["failed"] + 1

    await billing_api.put(
        f"{base}/payment-method", json={"payment_method": "pm_card_visa"}, headers=owner
    )
    paid = await insight(billing_api, harness, "/failed-payments", months=1)
    assert str(isp_id) not in {u["isp_id"] for u in paid["outstanding"]}
    assert paid["months"][-1]["recovered"] == before["recovered"] + 1


async def test_an_isps_health_is_scored_from_payments_growth_usage_and_tickets(
    billing_api, publish, harness, migrated_database
):
    registration = await opened(billing_api, publish, harness, Tier.BASIC, cap=1000)
    isp_id = registration.isp_id
    engine = create_async_engine(migrated_database)
    async with engine.begin() as connection:
        month_ago = (datetime.now(UTC) - timedelta(days=30)).date()
        await connection.execute(
            UsageDay.__table__.insert(),
            [{"isp_id": isp_id, "day": month_ago, "customers": 900, "recorded_at": harness.now()}],
        )
    await engine.dispose()
    await publish(
        CustomersCounted(
            counts=[CustomerCount(isp_id=isp_id, customers=950, counted_at=harness.now())]
        )
    )
    await publish(TicketsCounted(isp_id=isp_id, open_tickets=30, counted_at=harness.now()))
    await harness.account(
        billing_api, isp_id, lambda a: a["customers"] == 950 and a["open_tickets"] == 30
    )

    health = await insight(billing_api, harness, f"/isps/{isp_id}/health")

    factors = {f["name"]: f for f in health["factors"]}
    assert {n: (f["points"], f["weight"]) for n, f in factors.items()} == {
        "payment_history": (35, 35),  # no failure in 180 days
        "customer_growth": (25, 25),  # 900 → 950: +5.6%
        "usage_against_cap": (14, 20),  # 95% of the cap: time for the next tier
        "open_tickets": (14, 20),  # 30 open: 3.2 per 100 customers
    }
    assert (health["score"], health["band"]) == (88, "healthy")
    assert factors["customer_growth"]["detail"] == "900 → 950 customers over 30 days (+5.6%)"
    assert "950 of 1000 customers (95%)" in factors["usage_against_cap"]["detail"]

    everyone = await insight(billing_api, harness, "/health")
    scores = [h["score"] for h in everyone["isps"]]
    assert scores == sorted(scores) and str(isp_id) in {h["isp_id"] for h in everyone["isps"]}
    unknown = await billing_api.get(f"{BASE}/isps/{uuid.uuid4()}/health", headers=harness.operator)
    assert unknown.status_code == 404
