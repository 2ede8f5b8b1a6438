"""Payments to customers' accounts, their refunds, and the ISP's Stripe key."""

import uuid
from datetime import datetime
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.problems import Conflict, NotFound, UnprocessableContent
from servicekit.sealing import CannotUnseal, Sealer
from tenant_api.billing.invoices.service import Actor
from tenant_api.billing.payments import ledger, repository
from tenant_api.billing.payments.cards import StripeCards
from tenant_api.billing.payments.schemas import (
    AccountRead,
    AllocationRead,
    CustomerPaymentCreate,
    CustomerPaymentRead,
    Method,
    PaymentDetail,
    RefundCreate,
    RefundRead,
    StripeAccountRead,
    StripeKeyUpdate,
)
from tenant_api.billing.repository import customer_status
from tenant_api.billing.settings import service as settings
from tenant_api.messagebus import UnitOfWork
from tenant_api.messages import PaymentReceived
from tenant_api.models import Payment, PaymentRefund, StripeAccount

search = repository.search


async def _customer(session: AsyncSession, customer_id: UUID) -> None:
    if await customer_status(session, customer_id) is None:
        raise NotFound(f"No customer {customer_id} at this ISP.")


async def secret_key(session: AsyncSession, sealer: Sealer) -> str:
    account = await repository.stripe_account(session)
    if account is None:
        raise Conflict(
            "The ISP has no Stripe account set: add its secret key in the billing settings "
            "(PUT /api/v1/billing/settings/stripe) to take cards.",
            setting="stripe",
        )
    try:
        return str(sealer.unseal(account.sealed_secret_key)["secret_key"])
    except CannotUnseal:
        raise Conflict(
            "The ISP's Stripe key cannot be read (sealed with a key this platform no longer "
            "has): set it again.",
            setting="stripe",
        ) from None


async def receive(
    work: UnitOfWork,
    actor: Actor,
    customer_id: UUID,
    spec: CustomerPaymentCreate,
    idempotency_key: str | None,
    *,
    cards: StripeCards,
    sealer: Sealer,
) -> Payment:
    """Record a payment to the customer's account (charging the card first, for a card) and
    allocate it to the open invoices, oldest first; the rest is credit."""
    session = work.session
    await _customer(session, customer_id)
    if idempotency_key is not None:
        earlier = await repository.by_idempotency_key(session, idempotency_key)
        if earlier is not None:
            if (earlier.customer_id, earlier.amount, earlier.method) != (
                customer_id,
                spec.amount,
                spec.method.value,
            ):
                raise Conflict(
                    "This Idempotency-Key was used for another payment.", payment_id=earlier.id
                )
            return earlier
    current = await settings.current(session, actor.tenant_id, actor.now)
    payment = Payment(
        id=uuid.uuid4(),
        tenant_id=actor.tenant_id,
        invoice_id=None,
        customer_id=customer_id,
        amount=spec.amount,
        currency=current.currency,
        amount_refunded=0,
        method=spec.method.value,
        received_on=spec.received_on or actor.now.date(),
        reference=spec.reference,
        idempotency_key=idempotency_key,
        created_by=actor.by,
        created_at=actor.now,
    )
    if spec.method == Method.CARD:
        assert spec.payment_method is not None
        if idempotency_key is None:
            raise UnprocessableContent(
                "A card payment needs an Idempotency-Key header: a retry without one could "
                "charge the card twice.",
                field="Idempotency-Key",
            )
        if spec.received_on is not None and spec.received_on != actor.now.date():
            raise UnprocessableContent(
                "A card is charged now: leave received_on out.", field="received_on"
            )
        key = await secret_key(session, sealer)
        charged = await cards.charge(
            key,
            amount=spec.amount,
            currency=current.currency,
            payment_method=spec.payment_method,
            idempotency_key=f"dotmac-payment-{actor.tenant_id}-{idempotency_key or payment.id}",
            metadata={"customer_id": str(customer_id), "payment_id": str(payment.id)},
        )
        payment.stripe_payment_intent = charged.payment_intent
        payment.card_last4 = charged.card_last4
    session.add(payment)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict("A payment with this Idempotency-Key is being recorded.") from None
    await ledger.allocate_payment(session, payment, payment.amount, actor.now)
    work.record(PaymentReceived(customer_id=customer_id, payment_id=payment.id, by=actor.by))
    await work.flush()
    return payment


async def get_payment(session: AsyncSession, payment_id: UUID, *, lock: bool = False) -> Payment:
    found = await repository.get(session, payment_id, lock=lock)
    if found is None:
        raise NotFound(f"No payment {payment_id} at this ISP.")
    return found


async def detail(session: AsyncSession, payment: Payment) -> PaymentDetail:
    allocations = await repository.allocations(session, payment.id)
    numbers = await repository.invoice_numbers(session, sorted({a.invoice_id for a in allocations}))
    allocated = sum(a.amount for a in allocations)
    return PaymentDetail(
        **CustomerPaymentRead.model_validate(payment, from_attributes=True).model_dump(),
        allocated=allocated,
        unallocated=payment.amount - payment.amount_refunded - allocated,
        allocations=[
            AllocationRead(
                invoice_id=a.invoice_id,
                invoice_number=numbers.get(a.invoice_id),
                amount=a.amount,
                refund_id=a.refund_id,
                created_at=a.created_at,
            )
            for a in allocations
        ],
        refunds=[
            RefundRead.model_validate(r, from_attributes=True)
            for r in await repository.refunds(session, payment.id)
        ],
    )


async def refund(
    work: UnitOfWork,
    actor: Actor,
    payment_id: UUID,
    spec: RefundCreate,
    idempotency_key: str | None,
    *,
    cards: StripeCards,
    sealer: Sealer,
) -> tuple[PaymentRefund, Payment]:
    """Give back some or all of what is left of a payment (a card's through Stripe). The
    payment's credit goes first; then the invoices it paid, the latest first, are open again."""
    session = work.session
    payment = await get_payment(session, payment_id)
    await repository.lock_customer(session, payment.customer_id)
    payment = await get_payment(session, payment_id, lock=True)
    if idempotency_key is not None:
        earlier = await repository.refund_by_idempotency_key(session, idempotency_key)
        if earlier is not None:
            if earlier.payment_id != payment_id or (
                spec.amount is not None and earlier.amount != spec.amount
            ):
                raise Conflict(
                    "This Idempotency-Key was used for another refund.", refund_id=earlier.id
                )
            return earlier, payment
    refundable = payment.amount - payment.amount_refunded
    amount = spec.amount if spec.amount is not None else refundable
    if refundable <= 0:
        raise Conflict("This payment was refunded in full already.", refundable=0)
    if amount > refundable:
        raise Conflict(
            f"Only {refundable} of this payment is left to refund.", refundable=refundable
        )
    refunded = PaymentRefund(
        id=uuid.uuid4(),
        tenant_id=actor.tenant_id,
        payment_id=payment.id,
        customer_id=payment.customer_id,
        amount=amount,
        reason=spec.reason,
        idempotency_key=idempotency_key,
        created_by=actor.by,
        created_at=actor.now,
    )
    if payment.stripe_payment_intent:
        key = await secret_key(session, sealer)
        refunded.stripe_refund = await cards.refund(
            key,
            payment_intent=payment.stripe_payment_intent,
            amount=amount,
            idempotency_key=f"dotmac-refund-{actor.tenant_id}-{idempotency_key or refunded.id}",
        )
    session.add(refunded)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict("A refund with this Idempotency-Key is being recorded.") from None
    await ledger.take_back(session, payment, refunded, actor.now)
    return refunded, payment


async def account(session: AsyncSession, customer_id: UUID, now: datetime) -> AccountRead:
    await _customer(session, customer_id)
    balance, overdue = await repository.owed_of(session, customer_id, now.date())
    credit = await repository.credit_of(session, customer_id)
    found = await repository.currency(session)
    return AccountRead(
        customer_id=customer_id,
        currency=found,
        balance_due=balance,
        overdue=overdue,
        credit=credit,
        net_balance=balance - credit,
    )


async def stripe_account(session: AsyncSession) -> StripeAccountRead:
    found = await repository.stripe_account(session)
    if found is None:
        return StripeAccountRead(
            configured=False, key_last4=None, live=None, updated_by=None, updated_at=None
        )
    return StripeAccountRead(
        configured=True,
        key_last4=found.key_last4,
        live=found.live,
        updated_by=found.updated_by,
        updated_at=found.updated_at,
    )


async def set_stripe_key(
    session: AsyncSession, actor: Actor, spec: StripeKeyUpdate, sealer: Sealer
) -> StripeAccountRead:
    """Keep the ISP's Stripe secret key, sealed; only its last 4 characters are shown."""
    found = await repository.stripe_account(session)
    if found is None:
        found = StripeAccount(tenant_id=actor.tenant_id)
        session.add(found)
    found.sealed_secret_key = sealer.seal({"secret_key": spec.secret_key})
    found.key_last4 = spec.secret_key[-4:]
    found.live = "_live_" in spec.secret_key
    found.updated_by, found.updated_at = actor.by, actor.now
    await session.flush()
    return await stripe_account(session)


async def drop_stripe_key(session: AsyncSession) -> None:
    await repository.drop_stripe_account(session)
