"""An ISP's account with the platform: registered at sign-up, opened in Stripe when its licence
is first issued (its instance is active), priced from licensing's tier catalogue."""

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from billing.accounts import repository
from billing.clients.stripe import StripeGateway, Subscribed
from billing.models import Account, AccountStatus
from billing.notices import Notices
from dotmac_contracts.events import (
    BillingStatusChanged,
    IspRegistered,
    LicenceIssued,
    TierCatalogPublished,
)
from dotmac_contracts.vocabulary import BillingPeriod, Tier
from servicekit.outbox import Outbox

MONTHS = {BillingPeriod.MONTHLY: 1, BillingPeriod.ANNUAL: 12}
"""Months one charge covers: an annual plan costs twelve monthly prices."""

STRIPE_STATUS = {
    "active": AccountStatus.ACTIVE,
    "trialing": AccountStatus.ACTIVE,
    "past_due": AccountStatus.PAST_DUE,
    "unpaid": AccountStatus.PAST_DUE,
    "incomplete": AccountStatus.INCOMPLETE,
    "incomplete_expired": AccountStatus.CANCELLED,
    "canceled": AccountStatus.CANCELLED,
}
"""Where an account stands for each state of its Stripe subscription."""


class NotYet(Exception):
    """What this event needs has not arrived yet (another stream's event, the catalogue): the
    event goes back and is tried again shortly."""


async def register(session: AsyncSession, event: IspRegistered) -> None:
    await repository.register(
        session,
        Account(
            isp_id=event.isp_id,
            company_name=event.company_name,
            contact_email=str(event.primary_contact_email),
            country=event.country,
            region=event.region.value,
            tier=event.tier.value,
            billing_period=event.billing_period.value,
            payment_method=event.payment_method,
            status=AccountStatus.REGISTERED.value,
            customers=0,
            usage_alert=0,
            registered_at=event.registered_at,
            status_changed_at=event.registered_at,
        ),
    )


async def keep_prices(session: AsyncSession, event: TierCatalogPublished) -> None:
    await repository.set_prices(
        session,
        [
            {
                "tier": terms.name.value,
                "price_cents": terms.price_cents,
                "currency": terms.currency,
                "custom_pricing": terms.custom_pricing,
                "catalogue_version": event.version,
                "updated_at": event.published_at,
            }
            for terms in event.tiers
        ],
    )


async def open_account(
    session: AsyncSession,
    outbox: Outbox,
    notices: Notices,
    stripe: StripeGateway,
    event: LicenceIssued,
    *,
    now: datetime,
) -> Account:
    """The ISP's Stripe customer and, on a paid tier, its subscription at the tier's price for
    its billing period, paid with the payment method given at sign-up. Without one, a paid
    tier's account stays `incomplete`, with no subscription that could not be paid. Opening
    again (a redelivered event) finds them and changes nothing."""
    account = await repository.get(session, event.isp_id, lock=True)
    if account is None:
        raise NotYet(f"ISP {event.isp_id}'s registration has not reached billing yet")
    account.customer_cap = event.customer_cap
    if account.opened_at is not None:
        return account
    customer = await stripe.customer_for(
        account.isp_id, email=account.contact_email, name=account.company_name
    )
    account.stripe_customer_id, account.tier = customer, event.tier.value
    status, payment_method = AccountStatus.ACTIVE, account.payment_method
    if event.tier != Tier.FREE and payment_method is None:
        status = AccountStatus.INCOMPLETE
    elif event.tier != Tier.FREE and payment_method is not None:
        await stripe.attach_payment_method(customer, payment_method)
        subscribed = await _subscribe(session, stripe, account, customer)
        account.stripe_subscription_id = subscribed.subscription_id
        status = STRIPE_STATUS.get(subscribed.status, AccountStatus.INCOMPLETE)
    account.opened_at = now
    reason = (
        "opened: awaiting a payment method"
        if status == AccountStatus.INCOMPLETE and account.stripe_subscription_id is None
        else f"opened on the {account.tier} tier"
    )
    await move(session, outbox, notices, account, status, reason=reason, at=now)
    await session.flush()
    return account


async def _subscribe(
    session: AsyncSession, stripe: StripeGateway, account: Account, customer: str
) -> Subscribed:
    price = await repository.price_of(session, account.tier)
    if price is None:
        raise NotYet(f"no price for the {account.tier} tier yet (the catalogue has not arrived)")
    period = BillingPeriod(account.billing_period)
    plan = await stripe.plan_for(
        account.tier, period.value, price.price_cents * MONTHS[period], price.currency
    )
    return await stripe.subscription_for(account.isp_id, customer, plan)


async def move(
    session: AsyncSession,
    outbox: Outbox,
    notices: Notices,
    account: Account,
    status: AccountStatus,
    *,
    reason: str,
    at: datetime,
) -> bool:
    """Move the account to `status`, announce it, and tell the ISP if the move calls for it; a
    move to where it is changes nothing."""
    previous = account.status
    if not repository.moved(account, status, at):
        return False
    await notices.moved(session, account, previous)
    await outbox.add(
        session,
        BillingStatusChanged(
            isp_id=account.isp_id,
            previous=previous,  # type: ignore[arg-type]
            status=status.value,
            reason=reason,
            changed_at=at,
        ),
    )
    return True


async def account_of(session: AsyncSession, isp_id: UUID) -> Account | None:
    return await repository.get(session, isp_id)
