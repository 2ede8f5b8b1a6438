from fastapi import FastAPI

from licensing.config import Settings
from licensing.models import messaging
from servicekit.http import create_service_app
from servicekit.runtime import Runtime
from servicekit.telemetry import configure_tracing


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_tracing("licensing", settings.platform)
    return create_service_app(
        name="licensing",
        title="DotMac licensing",
        description="Licensing: tier catalogue, plugin registry, signed licences and entitlements.",
        runtime=Runtime(name="licensing", settings=settings.platform, tables=messaging),
    )
