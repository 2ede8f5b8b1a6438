"""Stripe's events, received: each applied once (by its id), in whatever order they come.

An event's own snapshot of the subscription may be older than one already applied, so the
account takes the subscription's state as Stripe has it now, not as the event tells it. Types
billing does not act on are acknowledged and ignored."""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from billing.accounts import repository as accounts
from billing.accounts.service import STRIPE_STATUS
from billing.clients.stripe import StripeGateway
from billing.models import AccountStatus
from billing.webhooks import repository

ACTED_ON = frozenset(
    {
        "invoice.paid",
        "invoice.payment_succeeded",
        "invoice.payment_failed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    }
)


async def apply(session: AsyncSession, stripe: StripeGateway, event: Any, *, now: datetime) -> str:
    """What became of the event: `applied`, `duplicate` or `ignored`."""
    if not await repository.first_time(session, event.id, event.type, now):
        return "duplicate"
    if event.type not in ACTED_ON:
        return "ignored"
    customer = event.data.object.to_dict().get("customer")
    account = await accounts.of_customer(session, customer) if customer else None
    if account is None or account.stripe_subscription_id is None:
        return "ignored"  # not an ISP's subscription billing knows
    state = await stripe.subscription_status(account.stripe_subscription_id)
    status = STRIPE_STATUS.get(state, AccountStatus.INCOMPLETE)
    if account.status == AccountStatus.SUSPENDED and status == AccountStatus.PAST_DUE:
        return "applied"  # suspended stays so until paid (dunning's call, not Stripe's)
    accounts.moved(account, status, now)
    return "applied"
