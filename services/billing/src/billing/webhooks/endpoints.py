"""Stripe's events in: `POST /api/v1/billing/stripe/webhook`, signed with the endpoint's
secret. A bad or stale signature (older than the tolerance, 300 s) gets 400 and changes
nothing; a body over the size limit gets 413 unread."""

from datetime import UTC, datetime
from typing import Annotated, Literal

import stripe
from fastapi import APIRouter, Header, Request
from pydantic import BaseModel

from billing.deps import BillingDep
from billing.webhooks import service
from servicekit.http import SessionDep
from servicekit.problems import BadRequest

PATH = "/api/v1/billing/stripe/webhook"
router = APIRouter(tags=["stripe"])


class Received(BaseModel):
    received: Literal[True] = True
    outcome: Literal["applied", "duplicate", "ignored"]


@router.post(PATH, responses={400: {"description": "Unsigned, badly signed or stale"}})
async def stripe_webhook(
    request: Request,
    billing: BillingDep,
    session: SessionDep,
    signature: Annotated[str | None, Header(alias="Stripe-Signature")] = None,
) -> Received:
    """An event from Stripe: applied once, whatever order it comes in."""
    settings = billing.settings
    secret = settings.stripe_webhook_secret.get_secret_value()
    payload = await request.body()
    if not secret or not signature:
        raise BadRequest("Only events signed by Stripe are accepted here.")
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, secret, tolerance=settings.stripe_webhook_tolerance_s
        )
    except (ValueError, stripe.SignatureVerificationError):
        raise BadRequest(
            "The event's signature does not verify, or it is too old to accept."
        ) from None
    outcome = await service.apply(session, billing.stripe, event, now=datetime.now(UTC))
    return Received(outcome=outcome)  # type: ignore[arg-type]
