"""Stripe's events, received: each applied once (by its id), in whatever order they come.

An event's own snapshot of the subscription may be older than one already applied, so an event
that would move the account is checked against the subscription's state as Stripe has it now,
and the account takes that state, not the event's. An event that says what the account already
is (an active ISP's monthly `invoice.paid`: most of them) moves nothing and costs no call to
Stripe. Types billing does not act on are acknowledged and ignored."""

from datetime import datetime
from typing import Any

from billing.accounts import repository as accounts
from billing.accounts.service import STRIPE_STATUS, follow
from billing.clients.stripe import Plan, StripeGateway
from billing.notices import Notices
from billing.webhooks import repository
from servicekit.db import Database
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
    db: Database,
    outbox: Outbox,
    notices: Notices,
    stripe: StripeGateway,
    event: dict[str, Any],
    *,
    now: datetime,
) -> str:
    """What became of the event (Stripe's JSON, its signature verified): `applied`,
    `duplicate` or `ignored`.

    Most events move nothing (an active ISP's monthly `invoice.paid`, a type billing does not
    act on, another Stripe account's customer): those are decided on the account as it is and
    recorded in two single-statement round trips, outside any transaction. Only an event that
    would move the account takes the account's lock, in a transaction with its record and the
    move."""
    event_id, kind = str(event["id"]), str(event["type"])[:100]
    thing = event["data"].get("object") if isinstance(event["data"], dict) else None
    customer = thing.get("customer") if isinstance(thing, dict) else None
    if kind not in ACTED_ON or not isinstance(thing, dict) or not isinstance(customer, str):
        async with db.autocommit() as connection:
            first = await repository.record(connection, event_id, kind, now)
        return "ignored" if first else "duplicate"
    async with db.autocommit() as connection:
        account = await accounts.standing_of_customer(connection, customer)
        outcome = _without_a_move(account, kind, thing)
        if outcome is not None:
            first = await repository.record(connection, event_id, kind, now)
            return outcome if first else "duplicate"
    async with db.unit_of_work() as session:
        if not await repository.record(session, event_id, kind, now):
            return "duplicate"
        locked = await accounts.of_customer(session, customer, lock=True)  # to move it, alone
        if locked is None or locked.stripe_subscription_id is None:
            return "ignored"  # it left its subscription meanwhile
        state = await stripe.subscription_state(locked.stripe_subscription_id)
        reason = f"Stripe: the subscription is {state.status} ({kind})"
        await follow(session, outbox, notices, locked, state, reason=reason, at=now)
    return "applied"


def _without_a_move(account: Any, kind: str, thing: dict[str, Any]) -> str | None:
    """`ignored` or `applied` if the event needs no move of the account; None if it may."""
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
    return None


def _plan_of(subscription: dict[str, Any]) -> Plan | None:
    items = subscription.get("items")
    data = items.get("data") if isinstance(items, dict) else None
    first = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else {}
    plan = first.get("plan") or subscription.get("plan")
    return Plan.parse(plan.get("id")) if isinstance(plan, dict) else None
