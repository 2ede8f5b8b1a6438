from fastapi import FastAPI

from billing.config import Settings
from billing.models import messaging
from servicekit.http import create_service_app
from servicekit.runtime import Runtime
from servicekit.telemetry import configure_tracing


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_tracing("billing", settings.platform)
    return create_service_app(
        name="billing",
        title="DotMac billing",
        description="Billing: the platform's billing of ISPs through Stripe: usage and dunning.",
        runtime=Runtime(name="billing", settings=settings.platform, tables=messaging),
    )
