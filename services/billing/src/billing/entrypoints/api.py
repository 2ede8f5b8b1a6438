"""Billing's HTTP API: Stripe's webhooks in, each ISP's billing for its owner, the operator's
insights, and service-to-service reads of accounts."""

from fastapi import FastAPI

from billing.accounts.endpoints import internal_router, isp_router
from billing.bootstrap import Billing
from billing.insights.endpoints import operator_router
from billing.webhooks.endpoints import PATH as WEBHOOK
from billing.webhooks.endpoints import router as webhooks
from servicekit.http import create_service_app, internal_caller, operator_caller
from servicekit.problems import Upload
from servicekit.serving import Role


def create_app(billing: Billing) -> FastAPI:
    return create_service_app(
        name="billing",
        title="DotMac billing",
        description="Billing: the platform's billing of ISPs through Stripe: usage and dunning.",
        state={"runtime": billing.runtime, "billing": billing},
        routers=(
            webhooks,
            isp_router,
            operator_router(operator_caller(billing.settings.platform)),
            internal_router(internal_caller(billing.settings.platform)),
        ),
        uploads={
            WEBHOOK: Upload(
                frozenset({"application/json"}), billing.settings.stripe_webhook_max_bytes
            )
        },
    )


def role(billing: Billing) -> Role:
    return Role(app=create_app(billing))
