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
    billing_api, harness, opened, stripe_client
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


async def test_types_billing_does_not_act_on_are_acknowledged_and_ignored(
    billing_api, harness, opened
):
    event = harness.stripe_event("charge.refund.updated", {"id": "re_1", "object": "refund"})
    response = await deliver(billing_api, harness, event)
    assert (response.status_code, response.json()["outcome"]) == (200, "ignored")
    unknown_customer = harness.stripe_event("invoice.paid", {"customer": "cus_nobody"})
    assert (await deliver(billing_api, harness, unknown_customer)).json()["outcome"] == "ignored"


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
