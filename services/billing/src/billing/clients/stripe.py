"""The platform's Stripe account, as billing uses it (stripe-python's async client).

Each call that makes something first looks for what an earlier attempt of the same work made
(by the ISP id in its metadata, or the plan's own id), and carries an idempotency key derived
from what it is for: Stripe answers a retried request with the first one's result for 24 hours,
and the look-up covers the rest (and localstripe, which ignores the keys)."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import stripe

from servicekit.problems import Problem

INTERVAL = {"monthly": "month", "annual": "year"}
LIVE = frozenset({"active", "past_due", "trialing", "incomplete", "unpaid"})
"""Subscription states in which an ISP's subscription still stands (not ended)."""


class StripeUnavailable(Problem):
    """Stripe did not answer, or answered with a server error: try again later (an activity
    retries; a request answers 503)."""

    status, title, slug = 503, "Stripe unavailable", "stripe-unavailable"


class PaymentDeclined(Exception):
    """The card was declined (Stripe's message says why)."""


class PaymentMethodRefused(Exception):
    """Stripe knows no such payment method, or will not attach it to the customer."""


@dataclass(frozen=True)
class Subscribed:
    subscription_id: str
    status: str


@dataclass(frozen=True)
class Plan:
    """What one of billing's Stripe plans charges, read back from its id."""

    tier: str
    period: str
    amount_cents: int
    currency: str

    @property
    def id(self) -> str:
        return f"dotmac-{self.tier}-{self.period}-{self.amount_cents}-{self.currency}"

    @classmethod
    def parse(cls, plan_id: object) -> "Plan | None":
        """The plan an id names, if billing made it (`dotmac-<tier>-<period>-<cents>-<cur>`)."""
        parts = plan_id.split("-") if isinstance(plan_id, str) else []
        if len(parts) != 5 or parts[0] != "dotmac" or parts[2] not in INTERVAL:
            return None
        if not parts[3].isdigit():
            return None
        return cls(parts[1], parts[2], int(parts[3]), parts[4])


@dataclass(frozen=True)
class SubscriptionState:
    """A subscription as Stripe has it now: its status, the plan it is on, and whether its
    latest invoice was tried and is still open (a charge declined: money is owed, whatever the
    subscription's own status says)."""

    status: str
    plan: Plan | None
    latest_invoice: str | None
    owing: bool = False


@dataclass(frozen=True)
class InvoiceSummary:
    id: str
    number: str | None
    status: str | None
    amount_due: int
    amount_paid: int
    currency: str
    created: int
    hosted_invoice_url: str | None


class StripeGateway:
    def __init__(self, secret_key: str, api_base: str | None = None) -> None:
        self._stripe = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            http_client=stripe.HTTPXClient(),
            max_network_retries=2,
        )

    async def customer_for(self, isp_id: UUID, *, email: str, name: str) -> str:
        """The ISP's Stripe customer, made if there is none yet."""
        found = await self._call(
            self._stripe.v1.customers.list_async({"email": email, "limit": 100})
        )
        for customer in found.data:
            if _isp_of(customer) == str(isp_id):
                return str(customer.id)
        made = await self._call(
            self._stripe.v1.customers.create_async(
                {"email": email, "name": name, "metadata": {"isp_id": str(isp_id)}},
                {"idempotency_key": f"dotmac-customer-{isp_id}"},
            )
        )
        return str(made.id)

    async def plan_for(self, tier: str, period: str, amount_cents: int, currency: str) -> str:
        """The Stripe plan billing `amount_cents` per `period` for `tier`, made if missing. Its
        id names all four, so a price change makes a new plan and never edits one in use."""
        plan_id = Plan(tier, period, amount_cents, currency.lower()).id
        try:
            return str((await self._call(self._stripe.v1.plans.retrieve_async(plan_id))).id)
        except stripe.InvalidRequestError as missing:
            if missing.http_status != 404:
                raise
        made = await self._call(
            self._stripe.v1.plans.create_async(
                {
                    "id": plan_id,
                    "amount": amount_cents,
                    "currency": currency.lower(),
                    "interval": INTERVAL[period],  # type: ignore[typeddict-item]
                    "product": {"name": f"DotMac {tier.title()} ({period})"},
                },
                {"idempotency_key": f"dotmac-plan-{plan_id}"},
            )
        )
        return str(made.id)

    async def subscription_for(
        self, isp_id: UUID, customer_id: str, plan_id: str, *, attempt: str = ""
    ) -> Subscribed:
        """The ISP's standing subscription, made on `plan_id` if there is none. Without a
        payment method yet, Stripe keeps it `incomplete` until one pays its first invoice.
        `attempt` tells apart two subscriptions made a while apart (a move back to a paid tier
        after leaving it), which must not share an idempotency key. A declined first payment
        raises PaymentDeclined and leaves no subscription."""
        found = await self._call(
            self._stripe.v1.subscriptions.list_async({"customer": customer_id, "limit": 100})
        )
        for subscription in found.data:
            if _isp_of(subscription) == str(isp_id) and subscription.status in LIVE:
                return Subscribed(str(subscription.id), str(subscription.status))
        try:
            made = await self._call(
                self._stripe.v1.subscriptions.create_async(
                    {
                        "customer": customer_id,
                        "items": [{"plan": plan_id}],  # type: ignore[typeddict-unknown-key]
                        "metadata": {"isp_id": str(isp_id)},
                    },
                    {"idempotency_key": f"dotmac-subscription-{isp_id}-{plan_id}{attempt}"},
                ),
            )
        except stripe.CardError as declined:
            raise PaymentDeclined(declined.user_message or str(declined)) from declined
        return Subscribed(str(made.id), str(made.status))

    async def subscription_state(self, subscription_id: str) -> SubscriptionState:
        """Where the subscription stands now, as Stripe has it (webhooks can arrive in any
        order: their own snapshot may be older than one already applied)."""
        # Raw: this runs for many webhooks, and building the full StripeObject of a
        # subscription costs more CPU than the rest of the webhook's handling together.
        found = await self._call(
            self._stripe.raw_request_async(
                "get", f"/v1/subscriptions/{subscription_id}", expand=["latest_invoice"]
            )
        )
        return _state_of(found.data)

    async def change_plan(
        self, isp_id: UUID, customer_id: str, subscription_id: str, plan_id: str, *, attempt: str
    ) -> SubscriptionState:
        """Move the subscription to `plan_id`, prorated, and charge (or credit) the difference
        at once: Stripe's proration items go on an invoice that is paid now, with the
        customer's default payment method. A decline is no error here: the state says
        `past_due`, and the invoice stays open for dunning to retry."""
        current = await self.subscription_state(subscription_id)
        if current.plan is None or current.plan.id != plan_id:
            found = await self._call(
                self._stripe.raw_request_async("get", f"/v1/subscriptions/{subscription_id}")
            )
            item = found.data["items"]["data"][0]["id"]
            await self._call(
                self._stripe.v1.subscriptions.update_async(
                    subscription_id,
                    {"items": [{"id": item, "plan": plan_id}]},  # type: ignore[typeddict-item]
                    {"idempotency_key": f"dotmac-plan-change-{isp_id}-{plan_id}{attempt}"},
                )
            )
            invoice = await self._call(
                self._stripe.v1.invoices.create_async(
                    {"customer": customer_id, "subscription": subscription_id},
                    {"idempotency_key": f"dotmac-proration-{isp_id}-{plan_id}{attempt}"},
                )
            )
            await self._pay(str(invoice.id))
        return await self.subscription_state(subscription_id)

    async def cancel(self, subscription_id: str) -> None:
        """End the subscription now (an ISP moving to the free tier)."""
        try:
            await self._call(self._stripe.v1.subscriptions.cancel_async(subscription_id))
        except stripe.InvalidRequestError as gone:
            if gone.http_status != 404:
                raise

    async def payment_method(self, payment_method: str) -> dict[str, Any]:
        """A payment method as the ISP may see it: its kind and, for a card, brand and last
        four digits."""
        found = await self._call(
            self._stripe.raw_request_async("get", f"/v1/payment_methods/{payment_method}")
        )
        card = found.data.get("card") or {}
        return {
            "id": payment_method,
            "type": found.data.get("type"),
            "brand": card.get("brand"),
            "last4": card.get("last4"),
        }

    async def invoices(self, customer_id: str, *, limit: int = 24) -> list[InvoiceSummary]:
        """The customer's invoices, newest first."""
        found = await self._call(
            self._stripe.raw_request_async("get", "/v1/invoices", customer=customer_id, limit=limit)
        )
        return [_invoice_of(i) for i in found.data.get("data", [])]

    async def next_invoice(self, customer_id: str, subscription_id: str) -> InvoiceSummary | None:
        """What the subscription's next invoice will charge, as Stripe previews it."""
        try:
            found = await self._call(
                self._stripe.raw_request_async(
                    "post",
                    "/v1/invoices/create_preview",
                    customer=customer_id,
                    subscription=subscription_id,
                )
            )
        except stripe.InvalidRequestError as none:
            if none.http_status != 404:
                raise
            return None
        return _invoice_of(found.data)

    async def retry_latest_invoice(self, subscription_id: str) -> None:
        """Try the subscription's latest invoice again, if it is still open. A decline is the
        answer, not an error: the dunning timeline goes on."""
        found = await self._call(
            self._stripe.raw_request_async("get", f"/v1/subscriptions/{subscription_id}")
        )
        invoice = found.data.get("latest_invoice")
        if isinstance(invoice, str):
            await self._pay(invoice)

    async def _pay(self, invoice: str) -> None:
        """Pay the invoice now; a decline, or an invoice already settled, is no error."""
        try:
            await self._call(self._stripe.v1.invoices.pay_async(invoice))
        except stripe.CardError:
            return
        except stripe.InvalidRequestError as refused:
            if refused.http_status not in (400, 402, 404):
                raise

    async def attach_payment_method(self, customer_id: str, payment_method: str) -> None:
        """Make `payment_method` (`pm_...`) the customer's default for invoices. One Stripe
        does not know, or will not attach, raises PaymentMethodRefused."""
        try:
            await self._call(
                self._stripe.v1.payment_methods.attach_async(
                    payment_method, {"customer": customer_id}
                )
            )
        except (stripe.InvalidRequestError, stripe.CardError) as refused:
            if refused.http_status is not None and refused.http_status >= 500:
                raise
            raise PaymentMethodRefused(refused.user_message or str(refused)) from refused
        await self._call(
            self._stripe.v1.customers.update_async(
                customer_id, {"invoice_settings": {"default_payment_method": payment_method}}
            )
        )

    @staticmethod
    async def _call(request: Any) -> Any:
        try:
            return await request
        except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as error:
            raise StripeUnavailable(str(error)) from error


def _state_of(subscription: dict[str, Any]) -> SubscriptionState:
    items = (subscription.get("items") or {}).get("data") or [{}]
    plan = (items[0].get("plan") or subscription.get("plan") or {}).get("id")
    invoice = subscription.get("latest_invoice")
    if isinstance(invoice, dict):
        owing = invoice.get("status") == "open" and bool(invoice.get("attempted"))
        invoice_id = invoice.get("id")
    else:
        owing, invoice_id = False, invoice
    return SubscriptionState(
        status=str(subscription["status"]),
        plan=Plan.parse(plan),
        latest_invoice=invoice_id if isinstance(invoice_id, str) else None,
        owing=owing,
    )


def _invoice_of(invoice: dict[str, Any]) -> InvoiceSummary:
    return InvoiceSummary(
        id=str(invoice.get("id")),
        number=invoice.get("number"),
        status=invoice.get("status"),
        amount_due=int(invoice.get("amount_due") or 0),
        amount_paid=int(invoice.get("amount_paid") or 0),
        currency=str(invoice.get("currency") or "usd"),
        created=int(invoice.get("created") or invoice.get("date") or 0),
        hosted_invoice_url=invoice.get("hosted_invoice_url"),
    )


def _isp_of(thing: stripe.StripeObject) -> str | None:
    """The ISP id billing put in the object's metadata, if any."""
    isp: str | None = (thing.to_dict().get("metadata") or {}).get("isp_id")
    return isp
