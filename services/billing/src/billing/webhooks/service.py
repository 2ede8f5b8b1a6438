"""Stripe's events, received: each applied once (by its id), in whatever order they come.

An event's own snapshot of the subscription may be older than one already applied, so an event
that would move the account is checked against the subscription's state as Stripe has it now,
and the account takes that state, not the event's. An event that says what the account already
is (an active ISP's monthly `invoice.paid`: most of them) moves nothing and costs no call to
Stripe. Types billing does not act on are acknowledged and ignored."""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from billing.accounts import repository as accounts
from billing.accounts.service import STRIPE_STATUS, follow
from billing.clients.stripe import Plan, StripeGateway
from billing.notices import Notices
from billing.webhooks import repository
from servicekit.outbox import Outbox

IMPLIED = {
    "invoice.paid": "active",
    "invoice.payment_succeeded": "active",
    "invoice.payment_failed": "past_due",
}
"""The subscription state an invoice event points to (a subscription event carries its own)."""
ACTED_ON = frozenset(
    {
        *IMPLIED,
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    }
)


async def apply(
    session: AsyncSession,
    outbox: Outbox,
    notices: Notices,
    stripe: StripeGateway,
    event: dict[str, Any],
    *,
    now: datetime,
) -> str:
    """What became of the event (Stripe's JSON, its signature verified): `applied`,
    `duplicate` or `ignored`."""
    kind = str(event["type"])
    if not await repository.first_time(session, str(event["id"]), kind[:100], now):
        return "duplicate"
    if kind not in ACTED_ON:
        return "ignored"
    thing = event["data"].get("object") if isinstance(event["data"], dict) else None
    if not isinstance(thing, dict):
        return "ignored"
    customer = thing.get("customer")
    if not isinstance(customer, str):
        return "ignored"
    account = await accounts.of_customer(session, customer)
    if account is None or account.stripe_subscription_id is None:
        return "ignored"  # not an ISP's subscription billing knows
    subscription = thing.get("subscription") if kind in IMPLIED else thing.get("id")
    if isinstance(subscription, str) and subscription != account.stripe_subscription_id:
        return "ignored"  # one the ISP has left (it moved to the free tier and back)
    implied: object
    if kind in IMPLIED:
        implied, plan = IMPLIED[kind], None
    elif kind == "customer.subscription.deleted":
        implied, plan = "canceled", None
    else:
        implied, plan = thing.get("status"), _plan_of(thing)
    says_what_it_is = isinstance(implied, str) and STRIPE_STATUS.get(implied) == account.status
    if says_what_it_is and (plan is None or plan.tier == account.tier):
        return "applied"  # it says what the account already is: nothing to check or move
    account = await accounts.of_customer(session, customer, lock=True)  # to move it, alone
    assert account is not None and account.stripe_subscription_id is not None
    state = await stripe.subscription_state(account.stripe_subscription_id)
    reason = f"Stripe: the subscription is {state.status} ({kind})"
    await follow(session, outbox, notices, account, state, reason=reason, at=now)
    return "applied"


def _plan_of(subscription: dict[str, Any]) -> Plan | None:
    items = subscription.get("items")
    data = items.get("data") if isinstance(items, dict) else None
    first = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else {}
    plan = first.get("plan") or subscription.get("plan")
    return Plan.parse(plan.get("id")) if isinstance(plan, dict) else None
