"""An ISP's billing as its owner sees and changes it, on real Postgres, NATS, localstripe and
the real ISP framework answering whose sign-in a token is: plan, card, invoices; tier changes
prorated and paid through Stripe before the tier (and licence) changes; a declined charge, and
a new card that pays it."""

import uuid

import pytest
from temporalio.client import WorkflowExecutionStatus

from dotmac_contracts.events import BillingTierChanged, CustomerCount, CustomersCounted
from dotmac_contracts.vocabulary import Tier

pytestmark = pytest.mark.integration


async def opened(billing_api, publish, harness, tier, **signup):
    await publish(harness.catalogue())
    registration = harness.registered(tier, **signup)
    await publish(registration)
    await harness.account(billing_api, registration.isp_id, lambda a: a["status"] == "registered")
    await publish(harness.licence(registration.isp_id, tier))
    await harness.account(billing_api, registration.isp_id, lambda a: a["opened_at"] is not None)
    return registration


async def plan_in_stripe(stripe_client, billing_api, isp_id, harness):
    account = await harness.account(billing_api, isp_id, lambda a: True)
    subscription = await stripe_client.v1.subscriptions.retrieve_async(
        account["stripe_subscription_id"]
    )
    return subscription["items"]["data"][0]["plan"]["id"]


async def test_the_owner_sees_the_plan_card_next_invoice_and_invoices(
    billing_api, publish, harness, isp_people
):
    isp_id = (await opened(billing_api, publish, harness, Tier.PREMIUM)).isp_id
    owner = (await isp_people(isp_id))["owner"]

    answer = await billing_api.get(f"/api/v1/isp/{isp_id}/billing", headers=owner)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["plan"] == {
        "tier": "premium",
        "billing_period": "monthly",
        "amount_cents": 14900,
        "currency": "usd",
    }
    assert body["status"] == "active"
    assert body["payment_method"]["type"] == "card"
    assert body["payment_method"]["last4"] == "4242"
    assert [(i["status"], i["amount_paid_cents"]) for i in body["invoices"]] == [("paid", 14900)]
    assert body["next_invoice"]["amount_due_cents"] == 14900


async def test_only_the_isps_owner_may_and_an_operator_token_is_no_sign_in(
    billing_api, publish, harness, isp_people
):
    isp_id = (await opened(billing_api, publish, harness, Tier.BASIC)).isp_id
    people = await isp_people(isp_id)
    other_owner = (await isp_people(uuid.uuid4()))["owner"]
    path = f"/api/v1/isp/{isp_id}/billing"

    assert (await billing_api.get(path)).status_code == 401
    assert (await billing_api.get(path, headers=harness.operator)).status_code == 401
    assert (await billing_api.get(path, headers=harness.internal)).status_code == 401
    assert (await billing_api.get(path, headers=other_owner)).status_code == 401
    refused = await billing_api.get(path, headers=people["admin"])
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    changed = await billing_api.put(
        f"{path}/tier", json={"tier": "premium"}, headers=people["admin"]
    )
    assert changed.status_code == 403
    assert (await harness.account(billing_api, isp_id, lambda a: True))["tier"] == "basic"
    # and the owner's sign-in opens no operator route
    operator_route = "/api/v1/billing/operator/revenue"
    assert (await billing_api.get(operator_route, headers=people["owner"])).status_code == 401


async def test_an_upgrade_is_prorated_and_paid_before_the_tier_changes(
    billing_api, publish, harness, isp_people, stripe_client, announced
):
    isp_id = (await opened(billing_api, publish, harness, Tier.BASIC)).isp_id
    owner = (await isp_people(isp_id))["owner"]

    moved = await billing_api.put(
        f"/api/v1/isp/{isp_id}/billing/tier", json={"tier": "premium"}, headers=owner
    )

    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["plan"]["tier"], body["plan"]["amount_cents"], body["status"]) == (
        "premium",
        14900,
        "active",
    )
    assert (await plan_in_stripe(stripe_client, billing_api, isp_id, harness)).startswith(
        "dotmac-premium-monthly-14900"
    )
    proration = body["invoices"][0]  # newest: the difference, charged at once
    assert proration["status"] == "paid"
    assert 0 < proration["amount_paid_cents"] < 14900
    changes = await announced(isp_id, BillingTierChanged)
    assert [(c.previous_tier, c.tier) for c in changes] == [(Tier.BASIC, Tier.PREMIUM)]

    again = await billing_api.put(
        f"/api/v1/isp/{isp_id}/billing/tier", json={"tier": "premium"}, headers=owner
    )
    assert again.status_code == 200
    assert len(again.json()["invoices"]) == len(body["invoices"])  # nothing charged twice
    assert len(await announced(isp_id, BillingTierChanged)) == 1


async def test_a_downgrade_the_customers_do_not_fit_is_refused_before_stripe_is_touched(
    billing_api, publish, harness, isp_people, stripe_client, announced
):
    isp_id = (await opened(billing_api, publish, harness, Tier.PREMIUM)).isp_id
    owner = (await isp_people(isp_id))["owner"]
    await publish(
        CustomersCounted(
            counts=[CustomerCount(isp_id=isp_id, customers=1500, counted_at=harness.now())]
        )
    )
    await harness.account(billing_api, isp_id, lambda a: a["customers"] == 1500)
    path = f"/api/v1/isp/{isp_id}/billing/tier"

    refused = await billing_api.put(path, json={"tier": "basic"}, headers=owner)

    assert refused.status_code == 409
    problem = refused.json()
    assert (problem["customers"], problem["customer_cap"], problem["over_by"]) == (1500, 1000, 500)
    assert (await plan_in_stripe(stripe_client, billing_api, isp_id, harness)).startswith(
        "dotmac-premium"
    )
    assert await announced(isp_id, BillingTierChanged) == []

    await publish(
        CustomersCounted(
            counts=[CustomerCount(isp_id=isp_id, customers=800, counted_at=harness.now())]
        )
    )
    await harness.account(billing_api, isp_id, lambda a: a["customers"] == 800)
    moved = await billing_api.put(path, json={"tier": "basic"}, headers=owner)
    assert moved.status_code == 200, moved.text
    assert moved.json()["plan"]["amount_cents"] == 4900
    assert moved.json()["invoices"][0]["amount_due_cents"] <= 0  # credited, not charged


async def test_moving_to_free_ends_the_subscription_and_a_paid_tier_starts_a_new_one(
    billing_api, publish, harness, isp_people, stripe_client, announced
):
    isp_id = (await opened(billing_api, publish, harness, Tier.BASIC)).isp_id
    owner = (await isp_people(isp_id))["owner"]
    before = await harness.account(billing_api, isp_id, lambda a: True)
    path = f"/api/v1/isp/{isp_id}/billing/tier"

    free = await billing_api.put(path, json={"tier": "free"}, headers=owner)

    assert free.status_code == 200, free.text
    assert (free.json()["plan"]["tier"], free.json()["plan"]["amount_cents"]) == ("free", None)
    ended = await stripe_client.v1.subscriptions.retrieve_async(before["stripe_subscription_id"])
    assert ended.status == "canceled"
    # Stripe's word that the old subscription ended is no cancellation of the ISP
    body, headers = harness.signed(
        harness.stripe_event(
            "customer.subscription.deleted",
            {
                "id": before["stripe_subscription_id"],
                "object": "subscription",
                "customer": before["stripe_customer_id"],
                "status": "canceled",
            },
        )
    )
    await billing_api.post("/api/v1/billing/stripe/webhook", content=body, headers=headers)
    assert (await harness.account(billing_api, isp_id, lambda a: True))["status"] == "active"

    back = await billing_api.put(path, json={"tier": "basic"}, headers=owner)
    assert back.status_code == 200, back.text
    after = await harness.account(billing_api, isp_id, lambda a: True)
    assert after["stripe_subscription_id"] not in (None, before["stripe_subscription_id"])
    assert (after["tier"], after["status"], after["amount_cents"]) == ("basic", "active", 4900)
    changes = await announced(isp_id, BillingTierChanged)
    assert [(c.previous_tier, c.tier) for c in changes] == [
        (Tier.BASIC, Tier.FREE),
        (Tier.FREE, Tier.BASIC),
    ]


async def test_a_declined_upgrade_keeps_the_tier_until_a_new_card_pays_it(
    billing_api, publish, harness, isp_people, announced, mails
):
    """A real decline in localstripe: the ISP's card is switched to one whose charges fail.
    The account falls past due and its dunning starts; the new card settles both."""
    registration = await opened(billing_api, publish, harness, Tier.BASIC)
    isp_id = registration.isp_id
    owner = (await isp_people(isp_id))["owner"]
    base = f"/api/v1/isp/{isp_id}/billing"
    failing = await billing_api.put(
        f"{base}/payment-method",
        json={"payment_method": "pm_card_chargeCustomerFail"},
        headers=owner,
    )
    assert failing.status_code == 200, failing.text

    declined = await billing_api.put(f"{base}/tier", json={"tier": "premium"}, headers=owner)

    assert declined.status_code == 402, declined.text
    assert declined.json()["account_status"] == "past_due"
    account = await harness.account(billing_api, isp_id, lambda a: True)
    assert (account["tier"], account["status"]) == ("basic", "past_due")
    assert await announced(isp_id, BillingTierChanged) == []
    running = WorkflowExecutionStatus.RUNNING
    await harness.dunning(billing_api.temporal, isp_id, lambda s: s == running)

    paid = await billing_api.put(
        f"{base}/payment-method", json={"payment_method": "pm_card_visa"}, headers=owner
    )

    assert paid.status_code == 200, paid.text
    assert (paid.json()["plan"]["tier"], paid.json()["status"]) == ("premium", "active")
    moves = [(m.previous, m.status) for m in await announced(isp_id)]
    assert moves[-2:] == [("active", "past_due"), ("past_due", "active")]
    changes = await announced(isp_id, BillingTierChanged)
    assert [(c.previous_tier, c.tier) for c in changes] == [(Tier.BASIC, Tier.PREMIUM)]
    completed = WorkflowExecutionStatus.COMPLETED
    await harness.dunning(billing_api.temporal, isp_id, lambda s: s == completed)  # settled
    assert await mails(registration.primary_contact_email) == [
        "Your DotMac payment did not go through",
        "Payment received: your DotMac account is in good standing",
    ]


async def test_bad_choices_are_refused_with_problems_and_change_nothing(
    billing_api, publish, harness, isp_people
):
    isp_id = (await opened(billing_api, publish, harness, Tier.BASIC)).isp_id
    owner = (await isp_people(isp_id))["owner"]
    base = f"/api/v1/isp/{isp_id}/billing"
    for path, body in [
        ("/tier", {"tier": "platinum"}),
        ("/tier", {"tier": None}),
        ("/tier", {}),
        ("/payment-method", {"payment_method": "4242424242424242"}),
        ("/payment-method", {"payment_method": None}),
    ]:
        answer = await billing_api.put(base + path, json=body, headers=owner)
        assert answer.status_code == 422, (path, body, answer.text)
    unknown = await billing_api.put(
        f"{base}/payment-method", json={"payment_method": "pm_nothing_like_it"}, headers=owner
    )
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["field"] == "payment_method"
    account = await harness.account(billing_api, isp_id, lambda a: True)
    assert (account["tier"], account["status"]) == ("basic", "active")


async def test_an_offboarded_isp_is_charged_no_more(
    billing_api, publish, harness, stripe_client, announced
):
    """The owner cancelled and provisioning offboards the ISP: its subscription ends and its
    account is cancelled, announced as following the offboarding (provisioning has nothing
    more to do). A redelivered start changes nothing."""
    from datetime import timedelta

    from dotmac_contracts.events import OffboardingStarted

    isp_id = (await opened(billing_api, publish, harness, Tier.BASIC)).isp_id
    before = await harness.account(billing_api, isp_id, lambda a: True)
    started = OffboardingStarted(
        isp_id=isp_id, delete_at=harness.now() + timedelta(days=30), started_at=harness.now()
    )

    await publish(started)
    await publish(started)

    after = await harness.account(billing_api, isp_id, lambda a: a["status"] == "cancelled")
    assert (after["stripe_subscription_id"], after["amount_cents"]) == (None, None)
    ended = await stripe_client.v1.subscriptions.retrieve_async(before["stripe_subscription_id"])
    assert ended.status == "canceled"
    moves = [(m.previous, m.status, m.offboarding) for m in await announced(isp_id)]
    assert moves[-1] == ("active", "cancelled", True)
    assert [m for m in moves if m[1] == "cancelled"] == [("active", "cancelled", True)]


async def test_null_in_any_field_of_any_put_or_patch_is_a_422(
    billing_api, publish, harness, isp_people
):
    """Found in billing's OpenAPI document, not listed: each PUT and PATCH, each field sent as
    null by the ISP's owner, is refused with 422, and the account is as it was."""
    from billing.entrypoints.api import create_app

    isp_id = (await opened(billing_api, publish, harness, Tier.BASIC)).isp_id
    owner = (await isp_people(isp_id))["owner"]
    before = await harness.account(billing_api, isp_id, lambda a: True)
    document = create_app(billing_api.billing).openapi()
    tried = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method not in ("put", "patch") or path.startswith("/internal/"):
                continue
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            name = schema["$ref"].rsplit("/", 1)[1]
            for field in document["components"]["schemas"][name]["properties"]:
                answer = await billing_api.request(
                    method, path.format(isp_id=isp_id), json={field: None}, headers=owner
                )
                assert answer.status_code == 422, (path, field, answer.text)
                tried.append(f"{method.upper()} {path} {field}")
    assert len(tried) >= 2, tried
    assert await harness.account(billing_api, isp_id, lambda a: True) == before
