"""Cards charged and refunded through the ISP's own Stripe account: one `StripeClient` per call
with the ISP's secret key (never the process-wide `stripe.api_key`, which would mix ISPs).

Each call carries an idempotency key derived from the payment or refund it is for, so a retried
request is answered by Stripe with the first attempt's result instead of charging twice."""

from dataclasses import dataclass

import stripe

from servicekit.problems import Conflict, Problem, UnprocessableContent


class StripeUnavailable(Problem):
    """Stripe did not answer, or answered with a server error: nothing was charged; try again."""

    status, title, slug = 503, "Stripe unavailable", "stripe-unavailable"


class CardDeclined(Problem):
    """The customer's card was declined: nothing was charged or recorded."""

    status, title, slug = 402, "Card declined", "card-declined"


@dataclass(frozen=True)
class Charged:
    payment_intent: str
    card_last4: str | None


class StripeCards:
    def __init__(self, api_base: str | None = None) -> None:
        self._api_base = api_base

    def _client(self, secret_key: str) -> stripe.StripeClient:
        return stripe.StripeClient(
            secret_key,
            base_addresses={"api": self._api_base} if self._api_base else None,
            # The request's transaction waits on Stripe: a slow Stripe answers 503 within
            # seconds, not the library's 80 s a try (retries reuse the idempotency key).
            http_client=stripe.HTTPXClient(timeout=15),
            max_network_retries=2,
        )

    async def charge(
        self,
        secret_key: str,
        *,
        amount: int,
        currency: str,
        payment_method: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> Charged:
        """Charge `amount` minor units to `payment_method` (a PaymentMethod id of the ISP's
        Stripe account, e.g. one its checkout collected) and confirm it at once."""
        client = self._client(secret_key)
        try:
            intent = await client.v1.payment_intents.create_async(
                {
                    "amount": amount,
                    "currency": currency.lower(),
                    "payment_method": payment_method,
                    "confirm": True,
                    "metadata": metadata,
                },
                {"idempotency_key": idempotency_key},
            )
        except stripe.CardError as declined:
            raise CardDeclined(
                f"The card was declined: {declined.user_message or 'ask for another card'}",
                decline_code=(declined.code or None),
            ) from None
        except stripe.InvalidRequestError as refused:
            if refused.http_status == 404:
                raise UnprocessableContent(
                    f"The ISP's Stripe account has no payment method {payment_method!r}.",
                    field="payment_method",
                ) from None
            raise UnprocessableContent(
                f"Stripe refused the charge: {refused.user_message or 'invalid request'}",
                field="payment_method",
            ) from None
        except stripe.AuthenticationError:
            raise _key_refused() from None
        except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as error:
            raise StripeUnavailable(f"Stripe did not answer: {error.user_message or ''}") from None
        if intent.status != "succeeded":
            raise CardDeclined(
                f"The card payment is {intent.status}, not succeeded: nothing was recorded "
                "(cards needing the customer's authentication are taken at checkout).",
                stripe_status=intent.status,
            )
        return Charged(str(intent.id), await self._last4(client, payment_method))

    async def _last4(self, client: stripe.StripeClient, payment_method: str) -> str | None:
        try:
            method = await client.v1.payment_methods.retrieve_async(payment_method)
        except stripe.StripeError:
            return None  # only for display
        card = getattr(method, "card", None)
        return str(card.last4) if card is not None and getattr(card, "last4", None) else None

    async def refund(
        self, secret_key: str, *, payment_intent: str, amount: int, idempotency_key: str
    ) -> str:
        """Refund `amount` of the PaymentIntent: Stripe's refund id."""
        client = self._client(secret_key)
        try:
            refund = await client.v1.refunds.create_async(
                {"payment_intent": payment_intent, "amount": amount},
                {"idempotency_key": idempotency_key},
            )
        except stripe.AuthenticationError:
            raise _key_refused() from None
        except stripe.InvalidRequestError as refused:
            raise Conflict(
                f"Stripe refused the refund: {refused.user_message or 'invalid request'}"
            ) from None
        except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as error:
            raise StripeUnavailable(f"Stripe did not answer: {error.user_message or ''}") from None
        return str(refund.id)


def _key_refused() -> Conflict:
    return Conflict(
        "Stripe refused the ISP's secret key: set a valid one in the billing settings.",
        setting="stripe",
    )
