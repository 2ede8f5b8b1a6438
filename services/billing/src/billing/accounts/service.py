"""An ISP's account with the platform: registered at sign-up, opened in Stripe when its licence
is first issued (its instance is active), priced from licensing's tier catalogue."""

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from billing.accounts import repository
from billing.clients.stripe import (
    PaymentDeclined,
    PaymentMethodRefused,
    Plan,
    StripeGateway,
    Subscribed,
    SubscriptionState,
)
from billing.models import Account, AccountStatus
from billing.notices import Notices
from dotmac_contracts.events import (
    BillingStatusChanged,
    BillingTierChanged,
    IspRegistered,
    TicketsCounted,
    TierCatalogPublished,
)
from dotmac_contracts.vocabulary import BillingPeriod, Tier
from servicekit.outbox import Outbox
from servicekit.problems import Conflict, NotFound, Problem, UnprocessableContent

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


class TierBelowUsage(Conflict):
    """Licensing's rule, applied before any money moves: a tier must hold the ISP's customers."""

    title = "Tier too small"
    slug = "tier-below-usage"


class PaymentRequired(Problem):
    status, title, slug = 402, "Payment declined", "payment-declined"


class AccountNotInGoodStanding(Conflict):
    title = "Account not in good standing"
    slug = "account-not-in-good-standing"


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
            open_tickets=0,
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
                "customer_cap": terms.customer_cap,
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
    isp_id: UUID,
    tier: Tier,
    *,
    customer_cap: int | None,
    now: datetime,
) -> Account:
    """The ISP's Stripe customer and, on a paid tier, its subscription at the tier's price for
    its billing period, paid with the payment method given at sign-up. Without one, a paid
    tier's account stays `incomplete`, with no subscription that could not be paid. Opening
    again (a redelivered event) finds them and changes nothing. Called when the ISP's first
    licence is issued (its instance is active), or when a demo is converted (its instance
    already is)."""
    account = await repository.get(session, isp_id, lock=True)
    if account is None:
        raise NotYet(f"ISP {isp_id}'s registration has not reached billing yet")
    if customer_cap is not None or account.opened_at is None:
        account.customer_cap = customer_cap
    if account.opened_at is not None:
        return account
    customer = await stripe.customer_for(
        account.isp_id, email=account.contact_email, name=account.company_name
    )
    account.stripe_customer_id, account.tier = customer, tier.value
    status, payment_method = AccountStatus.ACTIVE, account.payment_method
    if tier != Tier.FREE and payment_method is None:
        status = AccountStatus.INCOMPLETE
    elif tier != Tier.FREE and payment_method is not None:
        try:
            await stripe.attach_payment_method(customer, payment_method)
            subscribed = await _subscribe(session, stripe, account, customer)
        except (PaymentDeclined, PaymentMethodRefused):
            status = AccountStatus.INCOMPLETE  # the ISP gives another payment method
        else:
            account.stripe_subscription_id = subscribed.subscription_id
            status = STRIPE_STATUS.get(subscribed.status, AccountStatus.INCOMPLETE)
    account.opened_at = now
    reason = (
        "opened: awaiting a payment method that pays"
        if status == AccountStatus.INCOMPLETE and account.stripe_subscription_id is None
        else f"opened on the {account.tier} tier"
    )
    await move(session, outbox, notices, account, status, reason=reason, at=now)
    await session.flush()
    return account


async def _subscribe(
    session: AsyncSession,
    stripe: StripeGateway,
    account: Account,
    customer: str,
    *,
    tier: str | None = None,
    attempt: str = "",
) -> Subscribed:
    plan = await _plan(session, stripe, account, tier or account.tier)
    subscribed = await stripe.subscription_for(account.isp_id, customer, plan, attempt=attempt)
    _charges(account, plan)
    return subscribed


async def _plan(session: AsyncSession, stripe: StripeGateway, account: Account, tier: str) -> str:
    """The Stripe plan of `tier` at its list price for the account's billing period."""
    price = await repository.price_of(session, tier)
    if price is None:
        raise NotYet(f"no price for the {tier} tier yet (the catalogue has not arrived)")
    period = BillingPeriod(account.billing_period)
    return await stripe.plan_for(
        tier, period.value, price.price_cents * MONTHS[period], price.currency
    )


def _charges(account: Account, plan_id: str | None) -> None:
    """Keep what the account's subscription charges per period (None: nothing)."""
    plan = Plan.parse(plan_id)
    account.amount_cents = plan.amount_cents if plan else None
    account.currency = plan.currency if plan else None


async def follow(
    session: AsyncSession,
    outbox: Outbox,
    notices: Notices,
    account: Account,
    state: SubscriptionState,
    *,
    reason: str,
    at: datetime,
) -> None:
    """Take the subscription's state as Stripe has it now: the account's status, and, once the
    subscription is paid up on another tier's plan, that tier (Stripe has confirmed the
    change: licensing issues its licence). An active subscription whose latest invoice was
    declined and is still open owes money: past due. A suspended account stays suspended until it is
    paid: dunning decides that, not a late `past_due` from Stripe."""
    status = STRIPE_STATUS.get(state.status, AccountStatus.INCOMPLETE)
    if status == AccountStatus.ACTIVE and state.owing:
        status = AccountStatus.PAST_DUE  # its latest charge was declined: money is owed
    if not (account.status == AccountStatus.SUSPENDED and status == AccountStatus.PAST_DUE):
        await move(session, outbox, notices, account, status, reason=reason, at=at)
    if status == AccountStatus.ACTIVE and state.plan is not None:
        _charges(account, state.plan.id)
        if state.plan.tier != account.tier:
            await _confirm_tier(session, outbox, account, state.plan.tier, at)


async def _confirm_tier(
    session: AsyncSession, outbox: Outbox, account: Account, tier: str, at: datetime
) -> None:
    previous, account.tier = account.tier, tier
    await outbox.add(
        session,
        BillingTierChanged(
            isp_id=account.isp_id, previous_tier=Tier(previous), tier=Tier(tier), changed_at=at
        ),
    )


async def change_tier(
    session: AsyncSession,
    outbox: Outbox,
    notices: Notices,
    stripe: StripeGateway,
    isp_id: UUID,
    tier: Tier,
    *,
    attempt: str,
    now: datetime,
) -> Account:
    """Move the ISP to `tier`, paid through Stripe before anything else changes:
    - to a paid tier from a paid tier: the subscription moves to the new plan, prorated, and
      the difference is charged (or credited) at once;
    - to a paid tier from the free one: a subscription is made, its first period paid;
    - to the free tier: the subscription ends now.
    The tier (and so the licence) changes once Stripe says it is paid. A declined charge
    changes no tier (see `declined_move`), and the account follows Stripe's state (a move
    between paid tiers leaves an open invoice, which dunning chases; paying it completes the
    move). A tier the
    ISP's customers do not fit in is refused before anything is charged, as licensing
    refuses it."""
    account = await _good_standing(session, isp_id)
    if tier.value == account.tier:
        return account
    price = await repository.price_of(session, tier.value)
    if price is None:
        raise Conflict(f"The {tier.value} tier has no price yet; try again shortly.")
    cap = price.customer_cap
    if cap is not None and account.customers > cap:
        over = account.customers - cap
        raise TierBelowUsage(
            f"This ISP has {account.customers:,} customers and the {tier.value} tier allows "
            f"{cap:,}: {over:,} over. Remove customers or choose a larger tier.",
            customers=account.customers,
            customer_cap=cap,
            over_by=over,
        )
    customer = account.stripe_customer_id
    assert customer is not None  # opened: it has its Stripe customer
    reason = f"moving from the {account.tier} tier to {tier.value}"
    if tier == Tier.FREE:
        if account.stripe_subscription_id is not None:
            await stripe.cancel(account.stripe_subscription_id)
        account.stripe_subscription_id = None
        _charges(account, None)
        await _confirm_tier(session, outbox, account, tier.value, now)
        return account
    if account.stripe_subscription_id is None:
        if account.payment_method is None:
            raise Conflict(
                "A paid tier needs a payment method: add one (PUT .../billing/payment-method) "
                "and choose the tier again."
            )
        try:
            subscribed = await _subscribe(
                session, stripe, account, customer, tier=tier.value, attempt=f"-{attempt}"
            )
        except PaymentDeclined as declined:
            raise PaymentRequired(
                f"The card was declined ({declined}); the ISP stays on the {account.tier} tier. "
                "Update the payment method and choose the tier again."
            ) from None
        account.stripe_subscription_id = subscribed.subscription_id
        state = await stripe.subscription_state(subscribed.subscription_id)
    else:
        plan = await _plan(session, stripe, account, tier.value)
        state = await stripe.change_plan(
            isp_id, customer, account.stripe_subscription_id, plan, attempt=f"-{attempt}"
        )
    await follow(session, outbox, notices, account, state, reason=reason, at=now)
    return account


def declined_move(account: Account, tier: Tier) -> PaymentRequired:
    """Why a move to `tier` has not happened yet: its charge was declined (the account's own
    move to past due stands: answer this, do not raise it, so that it is committed)."""
    return PaymentRequired(
        f"The charge for the {tier.value} tier was declined; the ISP stays on the "
        f"{account.tier} tier until it is paid. Update the payment method: the open invoice "
        "is tried again with it, and the move completes once it is paid.",
        account_status=account.status,
    )


async def update_payment_method(
    session: AsyncSession,
    outbox: Outbox,
    notices: Notices,
    stripe: StripeGateway,
    isp_id: UUID,
    payment_method: str,
    *,
    now: datetime,
) -> Account:
    """Make `payment_method` the one the ISP pays with. What was waiting for it goes ahead at
    once: an unpaid invoice is tried again with it (a past due or suspended account is
    restored when it pays), and a paid tier still without a subscription gets one."""
    account = await repository.get(session, isp_id, lock=True)
    if account is None:
        raise NotFound(f"Billing knows no ISP {isp_id}.")
    if account.opened_at is None:
        raise Conflict("Billing opens the ISP's account when its instance is active; not yet.")
    if account.status == AccountStatus.CANCELLED:
        raise AccountNotInGoodStanding("The account is cancelled.", account_status=account.status)
    customer = account.stripe_customer_id
    assert customer is not None
    try:
        await stripe.attach_payment_method(customer, payment_method)
    except PaymentMethodRefused as refused:
        raise UnprocessableContent(
            f"Stripe refused this payment method: {refused}", field="payment_method"
        ) from None
    account.payment_method = payment_method
    reason = "paid with a new payment method"
    if account.stripe_subscription_id is not None:
        if account.status in (AccountStatus.PAST_DUE, AccountStatus.SUSPENDED):
            await stripe.retry_latest_invoice(account.stripe_subscription_id)
        state = await stripe.subscription_state(account.stripe_subscription_id)
        await follow(session, outbox, notices, account, state, reason=reason, at=now)
    elif account.tier != Tier.FREE.value:
        try:
            subscribed = await _subscribe(
                session, stripe, account, customer, attempt=f"-{payment_method}"
            )
        except PaymentDeclined as declined:
            raise PaymentRequired(f"The card was declined ({declined}).") from None
        account.stripe_subscription_id = subscribed.subscription_id
        state = await stripe.subscription_state(subscribed.subscription_id)
        await follow(session, outbox, notices, account, state, reason=reason, at=now)
    return account


async def _good_standing(session: AsyncSession, isp_id: UUID) -> Account:
    account = await repository.get(session, isp_id, lock=True)
    if account is None:
        raise NotFound(f"Billing knows no ISP {isp_id}.")
    if account.opened_at is None:
        raise Conflict("Billing opens the ISP's account when its instance is active; not yet.")
    if account.status != AccountStatus.ACTIVE and not (
        account.status == AccountStatus.INCOMPLETE and account.stripe_subscription_id is None
    ):
        raise AccountNotInGoodStanding(
            f"The account is {account.status}: settle what is owed (update the payment "
            "method) before changing tier.",
            account_status=account.status,
        )
    return account


async def move(
    session: AsyncSession,
    outbox: Outbox,
    notices: Notices,
    account: Account,
    status: AccountStatus,
    *,
    reason: str,
    at: datetime,
    offboarding: bool = False,
) -> bool:
    """Move the account to `status`, announce it, and tell the ISP if the move calls for it; a
    move to where it is changes nothing."""
    previous = account.status
    if not repository.moved(session, account, status, reason, at):
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
            offboarding=offboarding,
        ),
    )
    return True


async def close_for_offboarding(
    session: AsyncSession,
    outbox: Outbox,
    notices: Notices,
    stripe: StripeGateway,
    isp_id: UUID,
    *,
    at: datetime,
) -> None:
    """The ISP is being offboarded (its owner cancelled, or billing did): its subscription ends
    now, so nothing more is charged, and its account is cancelled. Again (a redelivery, or an
    ISP billing cancelled itself) it changes nothing."""
    account = await repository.get(session, isp_id, lock=True)
    if account is None:
        return
    if account.stripe_subscription_id is not None:
        await stripe.cancel(account.stripe_subscription_id)
        account.stripe_subscription_id = None
    _charges(account, None)
    reason = "offboarded: the subscription ended with the ISP's instance"
    await move(
        session,
        outbox,
        notices,
        account,
        AccountStatus.CANCELLED,
        reason=reason,
        at=at,
        offboarding=True,
    )


async def account_of(session: AsyncSession, isp_id: UUID) -> Account | None:
    return await repository.get(session, isp_id)


async def record_tickets(session: AsyncSession, event: TicketsCounted) -> None:
    """Keep the ISP's open ticket count (its health score weighs it); an ISP billing does not
    know yet has nothing to keep it on."""
    account = await repository.get(session, event.isp_id, lock=True)
    if account is not None:
        account.open_tickets = event.open_tickets
