"""An ISP's account with the platform: its owner's view and choices (plan, payment method),
and service-to-service reads (tests, the other services)."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from billing.accounts import service
from billing.accounts.schemas import (
    AccountRead,
    InvoiceRead,
    IspBillingRead,
    PaymentMethodChoice,
    PaymentMethodRead,
    PlanRead,
    TierChoice,
    UsageDayRead,
    UsageRead,
)
from billing.clients.stripe import InvoiceSummary
from billing.deps import BillingDep
from billing.models import Account
from billing.usage import service as usage
from servicekit.http import OutboxDep, SessionDep
from servicekit.problems import NotFound

bearer = HTTPBearer(auto_error=False)


async def isp_owner(
    isp_id: UUID,
    billing: BillingDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> UUID:
    """The ISP whose owner signed in (tenant-api says whose sign-in the token is)."""
    token = credentials.credentials if credentials else None
    await billing.sign_ins.owner(token, isp_id, what="see or change the ISP's billing")
    return isp_id


OwnedIsp = Annotated[UUID, Depends(isp_owner)]
OWNER_ONLY: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in to this ISP (an operator's token is no sign-in)"},
    403: {"description": "Signed in to this ISP, but not as its owner"},
    404: {"description": "Billing knows no such ISP"},
    503: {"description": "Stripe did not answer; nothing changed"},
}
isp_router = APIRouter(prefix="/api/v1/isp/{isp_id}/billing", tags=["isp billing"])


@isp_router.get("", responses=OWNER_ONLY)
async def get_isp_billing(
    isp_id: OwnedIsp, session: SessionDep, billing: BillingDep
) -> IspBillingRead:
    """The ISP's plan and what it costs, where its payments stand, the card it pays with, its
    next invoice and its invoices (with Stripe's page for each)."""
    account = await service.account_of(session, isp_id)
    if account is None:
        raise NotFound(f"Billing knows no ISP {isp_id}.")
    return await _billing_read(billing, account)


@isp_router.put(
    "/tier",
    response_model=IspBillingRead,
    responses={
        **OWNER_ONLY,
        402: {"description": "The charge was declined: the tier stays as it was until paid"},
        409: {
            "description": "The ISP's customers do not fit in that tier, its account is not "
            "in good standing, or a paid tier needs a payment method first"
        },
    },
)
async def choose_tier(
    isp_id: OwnedIsp,
    choice: TierChoice,
    session: SessionDep,
    outbox: OutboxDep,
    billing: BillingDep,
) -> IspBillingRead | JSONResponse:
    """Move to another tier, up or down. Moving between paid tiers is prorated by Stripe and
    the difference charged (or credited) at once; moving up from free starts a subscription;
    moving to free ends it. The tier (and the licence, with its plugins and cap) changes once
    Stripe says it is paid. Choosing the tier the ISP has changes nothing."""
    account = await service.change_tier(
        session,
        outbox,
        billing.notices,
        billing.stripe,
        isp_id,
        choice.tier,
        attempt=uuid.uuid4().hex[:12],
        now=datetime.now(UTC),
    )
    if account.tier != choice.tier.value:
        return service.declined_move(account, choice.tier).response()
    return await _billing_read(billing, account)


@isp_router.put(
    "/payment-method",
    responses={
        **OWNER_ONLY,
        402: {"description": "The card was declined"},
        409: {"description": "The account is not open yet, or is cancelled"},
        422: {"description": "Not a payment method id, or one Stripe refuses"},
    },
)
async def choose_payment_method(
    isp_id: OwnedIsp,
    choice: PaymentMethodChoice,
    session: SessionDep,
    outbox: OutboxDep,
    billing: BillingDep,
) -> IspBillingRead:
    """Pay with another card from now on. An unpaid invoice is tried again with it at once
    (a past due or suspended account is restored when it pays)."""
    account = await service.update_payment_method(
        session,
        outbox,
        billing.notices,
        billing.stripe,
        isp_id,
        choice.payment_method,
        now=datetime.now(UTC),
    )
    return await _billing_read(billing, account)


async def _billing_read(billing: BillingDep, account: Account) -> IspBillingRead:
    stripe, customer = billing.stripe, account.stripe_customer_id
    method = (
        PaymentMethodRead(**await stripe.payment_method(account.payment_method))
        if account.payment_method and customer
        else None
    )
    upcoming = (
        await stripe.next_invoice(customer, account.stripe_subscription_id)
        if customer and account.stripe_subscription_id
        else None
    )
    invoices = await stripe.invoices(customer) if customer else []
    return IspBillingRead(
        isp_id=account.isp_id,
        plan=PlanRead(
            tier=account.tier,
            billing_period=account.billing_period,
            amount_cents=account.amount_cents,
            currency=account.currency,
        ),
        status=account.status,
        status_changed_at=account.status_changed_at,
        payment_method=method,
        customers=account.customers,
        customer_cap=account.customer_cap,
        next_invoice=_invoice(upcoming) if upcoming else None,
        invoices=[_invoice(i) for i in invoices],
    )


def _invoice(found: InvoiceSummary) -> InvoiceRead:
    return InvoiceRead(
        id=found.id if not found.id.startswith("upcoming_") else None,
        number=found.number,
        status=found.status,
        amount_due_cents=found.amount_due,
        amount_paid_cents=found.amount_paid,
        currency=found.currency,
        created_at=datetime.fromtimestamp(found.created, UTC),
        hosted_invoice_url=found.hosted_invoice_url,
    )


def internal_router(caller: Callable[..., None]) -> APIRouter:
    internal = APIRouter(
        prefix="/internal/v1/billing", tags=["internal"], dependencies=[Depends(caller)]
    )

    @internal.get("/isps/{isp_id}", responses={404: {"description": "No such ISP"}})
    async def get_account(isp_id: UUID, session: SessionDep) -> AccountRead:
        account = await service.account_of(session, isp_id)
        if account is None:
            raise NotFound(f"Billing knows no ISP {isp_id}.")
        return AccountRead.model_validate(account, from_attributes=True)

    @internal.get("/isps/{isp_id}/usage", responses={404: {"description": "No such ISP"}})
    async def get_usage(isp_id: UUID, session: SessionDep) -> UsageRead:
        """The ISP's customers per day (the day's highest count), oldest first."""
        if await service.account_of(session, isp_id) is None:
            raise NotFound(f"Billing knows no ISP {isp_id}.")
        found = await usage.days(session, isp_id)
        return UsageRead(days=[UsageDayRead(day=d.day, customers=d.customers) for d in found])

    return internal
