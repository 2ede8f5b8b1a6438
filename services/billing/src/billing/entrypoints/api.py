"""Billing's HTTP API."""

from fastapi import FastAPI

from billing.bootstrap import Billing
from servicekit.http import create_service_app
from servicekit.serving import Role


def create_app(billing: Billing) -> FastAPI:
    return create_service_app(
        name="billing",
        title="DotMac billing",
        description="Billing: the platform's billing of ISPs through Stripe: usage and dunning.",
        state={"runtime": billing.runtime, "billing": billing},
    )


def role(billing: Billing) -> Role:
    return Role(app=create_app(billing))
