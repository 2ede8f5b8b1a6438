"""Stripe's webhooks into billing, on real Postgres and localstripe: signed events applied once
by id and in any order (the account takes the subscription's state as Stripe has it now);
forged, tampered, stale, unsigned or oversized deliveries refused with nothing changed; types
billing does not act on acknowledged and ignored."""

import pytest

from dotmac_contracts.vocabulary import Tier

pytestmark = pytest.mark.integration
PATH = "/api/v1/billing/stripe/webhook"


@pytest.fixture
async def opened(billing_api, publish, harness):
    """A basic-tier ISP whose account is open in Stripe, its subscription paid by card."""
    await publish(harness.catalogue())
    signup = harness.registered(Tier.BASIC)
    await publish(signup, harness.licence(signup.isp_id, Tier.BASIC))
    return await harness.account(billing_api, signup.isp_id, lambda a: a["opened_at"] is not None)


def invoice_event(harness, account, type_="invoice.paid", event_id=None):
    invoice = {
        "id": "in_test",
        "object": "invoice",
        "customer": account["stripe_customer_id"],
        "subscription": account["stripe_subscription_id"],
    }
    return harness.stripe_event(type_, invoice, event_id)


async def deliver(client, harness, event, **signing):
    body, headers = harness.signed(event, **signing)
    return await client.post(PATH, content=body, headers=headers)


async def test_a_signed_event_is_applied_once_and_takes_stripes_current_state(
    billing_api, harness, opened, stripe_client, announced
):
    assert opened["status"] == "active"
    # An older event about a failed payment, arriving late, does not undo the payment: the
    # account follows the subscription as Stripe has it now.
    late = invoice_event(harness, opened, "invoice.payment_failed")
    first = await deliver(billing_api, harness, late)
    assert first.status_code == 200, first.text
    assert first.json() == {"received": True, "outcome": "applied"}
    after = await harness.account(billing_api, opened["isp_id"], lambda a: True)
    assert (after["status"], after["status_changed_at"]) == ("active", opened["status_changed_at"])

    # The subscription ends at Stripe; its event moves the account, once.
    await stripe_client.v1.subscriptions.cancel_async(opened["stripe_subscription_id"])
    ended = harness.stripe_event(
        "customer.subscription.deleted",
        {"id": opened["stripe_subscription_id"], "customer": opened["stripe_customer_id"]},
    )
    assert (await deliver(billing_api, harness, ended)).json()["outcome"] == "applied"
    cancelled = await harness.account(billing_api, opened["isp_id"], lambda a: True)
    assert cancelled["status"] == "cancelled"
    again = await deliver(billing_api, harness, ended)
    assert again.json()["outcome"] == "duplicate"
    assert await harness.account(billing_api, opened["isp_id"], lambda a: True) == cancelled
    moves = [(e.previous, e.status) for e in await announced(opened["isp_id"])]
    assert moves == [("registered", "active"), ("active", "cancelled")]


async def test_types_billing_does_not_act_on_are_acknowledged_and_ignored(
    billing_api, harness, opened
):
    event = harness.stripe_event("charge.refund.updated", {"id": "re_1", "object": "refund"})
    response = await deliver(billing_api, harness, event)
    assert (response.status_code, response.json()["outcome"]) == (200, "ignored")
    unknown_customer = harness.stripe_event("invoice.paid", {"customer": "cus_nobody"})
    assert (await deliver(billing_api, harness, unknown_customer)).json()["outcome"] == "ignored"


async def test_only_the_tier_subscription_moves_the_account(billing_api, harness, opened):
    """A failed payment of any other subscription of the ISP's Stripe customer (one it left,
    or, when add-ons come, a monthly add-on of an annual ISP) neither blocks nor moves it."""
    other = {**opened, "stripe_subscription_id": "sub_an_add_on"}
    failed = invoice_event(harness, other, "invoice.payment_failed")
    assert (await deliver(billing_api, harness, failed)).json()["outcome"] == "ignored"
    ended = harness.stripe_event(
        "customer.subscription.updated",
        {"id": "sub_an_add_on", "customer": opened["stripe_customer_id"], "status": "past_due"},
    )
    assert (await deliver(billing_api, harness, ended)).json()["outcome"] == "ignored"
    after = await harness.account(billing_api, opened["isp_id"], lambda a: True)
    assert (after["status"], after["status_changed_at"]) == ("active", opened["status_changed_at"])


async def test_forged_tampered_stale_and_unsigned_deliveries_are_400_and_change_nothing(
    billing_api, harness, opened
):
    event = invoice_event(harness, opened)
    body, headers = harness.signed(event)
    tampered = body.replace(b"invoice.paid", b"invoice.void")
    refused = [
        await billing_api.post(PATH, content=tampered, headers=headers),
        await deliver(billing_api, harness, event, secret="whsec_someone_else"),
        await deliver(billing_api, harness, event, age_s=301),
        await billing_api.post(PATH, content=body, headers={"Content-Type": "application/json"}),
        await billing_api.post(
            PATH, content=b"{not json", headers={**headers, "Content-Type": "application/json"}
        ),
        await deliver(billing_api, harness, {"id": "evt_no_type", "data": {}}),
        await deliver(billing_api, harness, {**event, "id": "evt_" + "x" * 300}),
        await deliver(billing_api, harness, [event]),
    ]
    for response in refused:
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    # None of them was recorded: the genuine event is still applied the first time it comes.
    assert (await deliver(billing_api, harness, event)).json()["outcome"] == "applied"


async def test_an_oversized_delivery_is_refused_unread(billing_api, harness, opened):
    event = invoice_event(harness, opened)
    event["data"]["object"]["padding"] = "x" * (300 * 1024)
    response = await deliver(billing_api, harness, event)
    assert response.status_code == 413
    assert (await deliver(billing_api, harness, invoice_event(harness, opened))).status_code == 200


async def test_a_shuffled_replay_with_duplicates_ends_where_an_ordered_delivery_ends(
    billing_api, publish, harness, stripe_client, announced
):
    """1,000 deliveries (800 events, 200 of them twice) about two ISPs, in random order: each
    account ends in the state one ordered delivery leaves it in, Stripe's current one (one
    subscription cancelled at Stripe, the other still active), each event applied once."""
    import random

    await publish(harness.catalogue())
    accounts = []
    for _ in range(2):
        signup = harness.registered(Tier.BASIC)
        await publish(signup, harness.licence(signup.isp_id, Tier.BASIC))
        accounts.append(
            await harness.account(billing_api, signup.isp_id, lambda a: a["opened_at"] is not None)
        )
    ending, staying = accounts
    await stripe_client.v1.subscriptions.cancel_async(ending["stripe_subscription_id"])
    kinds = ["invoice.paid", "invoice.payment_failed", "customer.subscription.updated"]
    events = []
    for _ in range(800):
        account = random.choice(accounts)
        status = random.choice(["active", "past_due", "canceled"])
        events.append(
            harness.stripe_event(
                random.choice(kinds),
                {
                    "id": account["stripe_subscription_id"],
                    "customer": account["stripe_customer_id"],
                    "status": status,
                },
            )
        )
    deliveries = events + random.sample(events, 200)
    random.shuffle(deliveries)
    outcomes: dict[str, list[str]] = {}
    for event in deliveries:
        response = await deliver(billing_api, harness, event)
        assert response.status_code == 200, response.text
        outcomes.setdefault(event["id"], []).append(response.json()["outcome"])
    assert all(sorted(o)[0] == "applied" for o in outcomes.values())
    assert sum(o.count("applied") for o in outcomes.values()) == 800
    assert sum(o.count("duplicate") for o in outcomes.values()) == 200
    final = {
        a["isp_id"]: (await harness.account(billing_api, a["isp_id"], lambda _: True))["status"]
        for a in accounts
    }
    assert final == {ending["isp_id"]: "cancelled", staying["isp_id"]: "active"}
    moves = [(e.previous, e.status) for e in await announced(staying["isp_id"])]
    assert moves == [("registered", "active")]  # the active one never moved
