"""Stripe's events in: `POST /api/v1/billing/stripe/webhook`, signed with the endpoint's
secret. A bad or stale signature (older than the tolerance, 300 s) gets 400 and changes
nothing; a body over the size limit gets 413 unread."""

import json
from datetime import UTC, datetime
from typing import Annotated, Literal

import stripe
from fastapi import APIRouter, Header, Request
from prometheus_client import Counter
from pydantic import BaseModel

from billing.deps import BillingDep
from billing.webhooks import service
from servicekit.problems import BadRequest

PATH = "/api/v1/billing/stripe/webhook"
WEBHOOKS = Counter(
    "dotmac_stripe_webhooks_total",
    "Stripe webhook deliveries, by outcome: applied, duplicate, ignored, or refused (unsigned, "
    "badly signed, stale or malformed)",
    ["outcome"],
)
router = APIRouter(tags=["stripe"])


class Received(BaseModel):
    received: Literal[True] = True
    outcome: Literal["applied", "duplicate", "ignored"]


@router.post(PATH, responses={400: {"description": "Unsigned, badly signed or stale"}})
async def stripe_webhook(
    request: Request,
    billing: BillingDep,
    signature: Annotated[str | None, Header(alias="Stripe-Signature")] = None,
) -> Received:
    """An event from Stripe: applied once, whatever order it comes in."""
    settings = billing.settings
    secret = settings.stripe_webhook_secret.get_secret_value()
    payload = await request.body()
    if not secret or not signature:
        WEBHOOKS.labels("refused").inc()
        raise BadRequest("Only events signed by Stripe are accepted here.")
    try:
        stripe.WebhookSignature.verify_header(
            payload, signature, secret, tolerance=settings.stripe_webhook_tolerance_s
        )
        event = json.loads(payload)
    except stripe.SignatureVerificationError:
        WEBHOOKS.labels("refused").inc()
        raise BadRequest(
            "The event's signature does not verify, or it is too old to accept."
        ) from None
    except ValueError:
        WEBHOOKS.labels("refused").inc()
        raise BadRequest("The event is not JSON.") from None
    if (
        not isinstance(event, dict)
        or not {"id", "type", "data"} <= event.keys()
        or not isinstance(event["id"], str)
        or not 0 < len(event["id"]) <= 255
        or not isinstance(event["type"], str)
    ):
        WEBHOOKS.labels("refused").inc()
        raise BadRequest("The event lacks its id, type or data.")
    runtime = billing.runtime
    outcome = await service.apply(
        runtime.db, runtime.outbox, billing.notices, billing.stripe, event, now=datetime.now(UTC)
    )
    WEBHOOKS.labels(outcome).inc()
    return Received(outcome=outcome)  # type: ignore[arg-type]
