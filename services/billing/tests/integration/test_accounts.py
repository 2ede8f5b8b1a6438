"""An ISP's account with the platform, on real Postgres, NATS and localstripe: registered at
sign-up, opened in Stripe when its licence is issued (a customer, and on a paid tier a
subscription at the tier's price for its period), and opened once however often the events
come."""

import uuid

import pytest

from dotmac_contracts.vocabulary import BillingPeriod, Tier

pytestmark = pytest.mark.integration


async def test_a_paid_tier_gets_a_customer_and_a_subscription_at_its_price(
    billing_api, publish, stripe_client, harness
):
    await publish(harness.catalogue())
    signup = harness.registered(Tier.PREMIUM)
    await publish(signup)
    await harness.account(billing_api, signup.isp_id, lambda a: a["status"] == "registered")
    await publish(harness.licence(signup.isp_id, Tier.PREMIUM))
    opened = await harness.account(billing_api, signup.isp_id, lambda a: a["opened_at"] is not None)

    assert opened["stripe_customer_id"].startswith("cus_")
    customer = await stripe_client.v1.customers.retrieve_async(opened["stripe_customer_id"])
    assert customer.email == signup.primary_contact_email
    assert customer.metadata["isp_id"] == str(signup.isp_id)
    subscription = await stripe_client.v1.subscriptions.retrieve_async(
        opened["stripe_subscription_id"]
    )
    plan = subscription["items"]["data"][0]["plan"]
    assert (plan["amount"], plan["currency"], plan["interval"]) == (14900, "usd", "month")
    assert subscription.status == "active" and opened["status"] == "active"  # the card paid
    assert customer.invoice_settings.default_payment_method is not None


async def test_a_paid_tier_without_a_payment_method_waits_without_a_subscription(
    billing_api, publish, harness
):
    await publish(harness.catalogue())
    signup = harness.registered(Tier.BASIC, payment_method=None)
    await publish(signup, harness.licence(signup.isp_id, Tier.BASIC))
    opened = await harness.account(billing_api, signup.isp_id, lambda a: a["opened_at"] is not None)
    assert opened["stripe_customer_id"].startswith("cus_")
    assert (opened["stripe_subscription_id"], opened["status"]) == (None, "incomplete")


async def test_an_annual_period_costs_twelve_months(billing_api, publish, stripe_client, harness):
    await publish(harness.catalogue())
    signup = harness.registered(Tier.BASIC, BillingPeriod.ANNUAL)
    await publish(signup, harness.licence(signup.isp_id, Tier.BASIC))
    opened = await harness.account(billing_api, signup.isp_id, lambda a: a["opened_at"] is not None)
    subscription = await stripe_client.v1.subscriptions.retrieve_async(
        opened["stripe_subscription_id"]
    )
    plan = subscription["items"]["data"][0]["plan"]
    assert (plan["amount"], plan["interval"]) == (12 * 4900, "year")


async def test_the_free_tier_gets_a_customer_and_no_subscription(billing_api, publish, harness):
    await publish(harness.catalogue())
    signup = harness.registered(Tier.FREE)
    await publish(signup, harness.licence(signup.isp_id, Tier.FREE))
    opened = await harness.account(billing_api, signup.isp_id, lambda a: a["opened_at"] is not None)
    assert opened["stripe_customer_id"].startswith("cus_")
    assert opened["stripe_subscription_id"] is None
    assert opened["status"] == "active"


async def test_redelivered_and_repeated_events_open_one_customer_and_one_subscription(
    billing_api, publish, stripe_client, harness
):
    await publish(harness.catalogue())
    signup = harness.registered(Tier.BASIC)
    issued = harness.licence(signup.isp_id, Tier.BASIC)
    delivery = str(uuid.uuid4())
    await publish(signup, signup)  # sent twice, as two events
    await publish(issued, event_id=delivery)
    first = await harness.account(billing_api, signup.isp_id, lambda a: a["opened_at"] is not None)
    await publish(issued, event_id=delivery)  # the same event again: a redelivery
    await publish(issued)  # and the same licence as a new event
    await publish(signup)
    again = await harness.account(billing_api, signup.isp_id, lambda a: a["opened_at"] is not None)
    assert again == first
    customers = await stripe_client.v1.customers.list_async(
        {"email": str(signup.primary_contact_email)}
    )
    assert [c.id for c in customers.data] == [first["stripe_customer_id"]]
    subscriptions = await stripe_client.v1.subscriptions.list_async(
        {"customer": first["stripe_customer_id"]}
    )
    assert [s.id for s in subscriptions.data] == [first["stripe_subscription_id"]]


async def test_a_licence_before_the_sign_up_waits_for_it(billing_api, publish, harness):
    """The two come on different streams: a licence that arrives first goes back and is
    applied once the sign-up is there."""
    await publish(harness.catalogue())
    signup = harness.registered(Tier.BASIC)
    await publish(harness.licence(signup.isp_id, Tier.BASIC))
    await publish(signup)
    opened = await harness.account(billing_api, signup.isp_id, lambda a: a["opened_at"] is not None)
    assert opened["stripe_subscription_id"].startswith("sub_")


async def test_an_unknown_isp_is_404_and_the_internal_routes_need_the_token(billing_api, harness):
    missing = await billing_api.get(
        f"/internal/v1/billing/isps/{uuid.uuid4()}", headers=harness.internal
    )
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    anonymous = await billing_api.get(f"/internal/v1/billing/isps/{uuid.uuid4()}")
    assert anonymous.status_code == 401


async def test_a_converted_demo_is_opened_at_its_sign_up(billing_api, publish, harness):
    """Its instance is the demo's, active already; its licence only changes tier (no
    LicenceIssued comes), so the sign-up itself opens the account."""
    await publish(harness.catalogue())
    signup = harness.registered(Tier.BASIC).model_copy(update={"from_demo": True})
    await publish(signup)
    opened = await harness.account(billing_api, signup.isp_id, lambda a: a["opened_at"] is not None)
    assert (opened["tier"], opened["status"]) == ("basic", "active")
    assert opened["stripe_subscription_id"].startswith("sub_")
