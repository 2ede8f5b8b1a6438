"""The platform's Stripe account, as billing uses it (stripe-python's async client).

Each call that makes something first looks for what an earlier attempt of the same work made
(by the ISP id in its metadata, or the plan's own id), and carries an idempotency key derived
from what it is for: Stripe answers a retried request with the first one's result for 24 hours,
and the look-up covers the rest (and localstripe, which ignores the keys)."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import stripe

INTERVAL = {"monthly": "month", "annual": "year"}
LIVE = frozenset({"active", "past_due", "trialing", "incomplete", "unpaid"})
"""Subscription states in which an ISP's subscription still stands (not ended)."""


class StripeUnavailable(Exception):
    """Stripe did not answer, or answered with a server error: try again later."""


@dataclass(frozen=True)
class Subscribed:
    subscription_id: str
    status: str


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
        plan_id = f"dotmac-{tier}-{period}-{amount_cents}-{currency.lower()}"
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

    async def subscription_for(self, isp_id: UUID, customer_id: str, plan_id: str) -> Subscribed:
        """The ISP's standing subscription, made on `plan_id` if there is none. Without a
        payment method yet, Stripe keeps it `incomplete` until one pays its first invoice."""
        found = await self._call(
            self._stripe.v1.subscriptions.list_async({"customer": customer_id, "limit": 100})
        )
        for subscription in found.data:
            if _isp_of(subscription) == str(isp_id) and subscription.status in LIVE:
                return Subscribed(str(subscription.id), str(subscription.status))
        made = await self._call(
            self._stripe.v1.subscriptions.create_async(
                {
                    "customer": customer_id,
                    "items": [{"plan": plan_id}],  # type: ignore[typeddict-unknown-key]
                    "metadata": {"isp_id": str(isp_id)},
                },
                {"idempotency_key": f"dotmac-subscription-{isp_id}-{plan_id}"},
            )
        )
        return Subscribed(str(made.id), str(made.status))

    async def subscription_status(self, subscription_id: str) -> str:
        """Where the subscription stands now, as Stripe has it (webhooks can arrive in any
        order: their own snapshot may be older than one already applied)."""
        # Raw: this runs for every webhook, and building the full StripeObject of a
        # subscription costs more CPU than the rest of the webhook's handling together.
        found = await self._call(
            self._stripe.raw_request_async("get", f"/v1/subscriptions/{subscription_id}")
        )
        return str(found.data["status"])

    async def retry_latest_invoice(self, subscription_id: str) -> None:
        """Try the subscription's latest invoice again, if it is still open. A decline is the
        answer, not an error: the dunning timeline goes on."""
        found = await self._call(
            self._stripe.raw_request_async("get", f"/v1/subscriptions/{subscription_id}")
        )
        invoice = found.data.get("latest_invoice")
        if not isinstance(invoice, str):
            return
        try:
            await self._call(self._stripe.v1.invoices.pay_async(invoice))
        except stripe.CardError:
            return
        except stripe.InvalidRequestError as refused:
            if refused.http_status not in (400, 402, 404):
                raise

    async def attach_payment_method(self, customer_id: str, payment_method: str) -> None:
        """Make `payment_method` (`pm_...`) the customer's default for invoices."""
        await self._call(
            self._stripe.v1.payment_methods.attach_async(payment_method, {"customer": customer_id})
        )
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


def _isp_of(thing: stripe.StripeObject) -> str | None:
    """The ISP id billing put in the object's metadata, if any."""
    isp: str | None = (thing.to_dict().get("metadata") or {}).get("isp_id")
    return isp
