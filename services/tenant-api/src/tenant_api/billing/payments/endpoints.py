"""Payments to customers' accounts (allocated oldest first, the rest kept as credit), their
refunds, each customer's account balance, and the ISP's Stripe key for card payments."""

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, status
from fastapi.responses import Response

from dotmac_contracts.vocabulary import Plugin
from tenant_api.billing.invoices.service import Actor
from tenant_api.billing.payments import service
from tenant_api.billing.payments.cards import StripeCards
from tenant_api.billing.payments.schemas import (
    AccountRead,
    CustomerPaymentCreate,
    CustomerPaymentRead,
    Method,
    PaymentDetail,
    PaymentPage,
    RefundCreate,
    RefundRead,
    RefundResult,
    StripeAccountRead,
    StripeKeyUpdate,
)
from tenant_api.deps import (
    ERRORS,
    NOT_FOUND,
    Caller,
    EntitlementsDep,
    SealerDep,
    TenantApiDep,
    TenantSession,
    TenantWork,
    require,
    require_plugin,
)
from tenant_api.identity.auth.roles import Permission
from tenant_api.listing import CSV_RESPONSE, PagingDep
from tenant_api.messagebus import UnitOfWork

router = APIRouter(
    tags=["payments"], dependencies=[require_plugin(Plugin.BASIC_BILLING)], responses=ERRORS
)
stripe_router = APIRouter(
    tags=["payments"], dependencies=[require_plugin(Plugin.AUTOMATED_BILLING)], responses=ERRORS
)
Reader = Annotated[Caller, require(Permission.BILLING_READ)]
Writer = Annotated[Caller, require(Permission.BILLING_WRITE)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=200,
        description="Repeat the request with the same key and get the same answer, made once",
    ),
]
REFUSED: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    402: {"description": "The card was declined: nothing was charged or recorded"},
    409: {"description": "More than is left, a key used for something else, or no Stripe key"},
    503: {"description": "Stripe did not answer: nothing was charged or recorded"},
}


async def _cards(tenant_api: TenantApiDep) -> StripeCards:
    return StripeCards(tenant_api.settings.stripe_api_base)


CardsDep = Annotated[StripeCards, Depends(_cards)]


def actor(caller: Caller, work: UnitOfWork) -> Actor:
    return Actor(caller.tenant_id, caller.reference, work.now)


@router.post(
    "/api/v1/customers/{customer_id}/payments",
    status_code=status.HTTP_201_CREATED,
    responses=REFUSED,
)
async def receive_payment(
    customer_id: UUID,
    spec: CustomerPaymentCreate,
    caller: Writer,
    work: TenantWork,
    cards: CardsDep,
    sealer: SealerDep,
    entitlements: EntitlementsDep,
    idempotency_key: IdempotencyKey = None,
) -> PaymentDetail:
    """A payment to the customer's account: cash, a bank transfer, or a card charged through
    the ISP's Stripe account (`payment_method`: the Stripe PaymentMethod, needs
    automated_billing and an `Idempotency-Key`, which is also Stripe's: a retry never charges
    twice). It pays the customer's open invoices, the oldest first; what is left
    over is credit that the customer's next invoices take. A dunning-suspended customer whose
    overdue balance it clears is reactivated."""
    if spec.method == Method.CARD:
        entitlements.require(caller.tenant_id, Plugin.AUTOMATED_BILLING)
    payment = await service.receive(
        work,
        actor(caller, work),
        customer_id,
        spec,
        idempotency_key,
        cards=cards,
        sealer=sealer,
    )
    return await service.detail(work.session, payment)


@router.get("/api/v1/payments", responses=CSV_RESPONSE, response_model=PaymentPage)
async def list_payments(
    caller: Reader,
    session: TenantSession,
    paging: PagingDep,
    customer_id: UUID | None = None,
    method: Method | None = None,
    received_from: date | None = None,
    received_to: date | None = None,
) -> PaymentPage | Response:
    """Payments, newest first: a page at a time, or all as CSV."""
    query = service.search(
        customer_id=customer_id,
        method=method.value if method else None,
        received_from=received_from,
        received_to=received_to,
    )
    rows, total = await paging.fetch(session, query)
    items = [CustomerPaymentRead.model_validate(r, from_attributes=True) for r in rows]
    return paging.respond(paging.page(PaymentPage, items, total), "payments")


@router.get("/api/v1/payments/{payment_id}", responses=NOT_FOUND)
async def get_payment(payment_id: UUID, caller: Reader, session: TenantSession) -> PaymentDetail:
    """The payment with its allocations to invoices and its refunds."""
    return await service.detail(session, await service.get_payment(session, payment_id))


@router.post(
    "/api/v1/payments/{payment_id}/refunds",
    status_code=status.HTTP_201_CREATED,
    responses=REFUSED,
)
async def refund_payment(
    payment_id: UUID,
    spec: RefundCreate,
    caller: Writer,
    work: TenantWork,
    cards: CardsDep,
    sealer: SealerDep,
    idempotency_key: IdempotencyKey = None,
) -> RefundResult:
    """Give back some or all that is left of the payment (a card's through Stripe). The
    customer's credit from it goes first; then the invoices it paid, the latest first, are
    open again for what was taken back."""
    refund, payment = await service.refund(
        work,
        actor(caller, work),
        payment_id,
        spec,
        idempotency_key,
        cards=cards,
        sealer=sealer,
    )
    return RefundResult(
        refund=RefundRead.model_validate(refund, from_attributes=True),
        payment=await service.detail(work.session, payment),
    )


@router.get("/api/v1/customers/{customer_id}/account", responses=NOT_FOUND)
async def get_account(customer_id: UUID, caller: Reader, work: TenantWork) -> AccountRead:
    """What the customer owes (and of it, what is overdue) and its credit."""
    return await service.account(work.session, customer_id, work.now)


@stripe_router.get("/api/v1/billing/settings/stripe")
async def get_stripe_account(caller: Reader, session: TenantSession) -> StripeAccountRead:
    """Whether the ISP's Stripe account is set for card payments; the key itself is never
    shown, only its last 4 characters."""
    return await service.stripe_account(session)


@stripe_router.put("/api/v1/billing/settings/stripe")
async def put_stripe_account(
    spec: StripeKeyUpdate, caller: Writer, work: TenantWork, sealer: SealerDep
) -> StripeAccountRead:
    """Set the secret key of the ISP's own Stripe account, that its customers' cards are
    charged through. It is stored sealed and never shown again."""
    return await service.set_stripe_key(work.session, actor(caller, work), spec, sealer)


@stripe_router.delete("/api/v1/billing/settings/stripe", status_code=status.HTTP_204_NO_CONTENT)
async def delete_stripe_account(caller: Writer, session: TenantSession) -> None:
    """Forget the ISP's Stripe key: cards are refused until one is set again (refunds of card
    payments too)."""
    await service.drop_stripe_key(session)
