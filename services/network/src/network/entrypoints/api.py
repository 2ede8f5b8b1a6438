from fastapi import FastAPI

from network.config import Settings
from network.models import messaging
from servicekit.http import create_service_app
from servicekit.runtime import Runtime
from servicekit.telemetry import configure_tracing


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_tracing("network", settings.platform)
    return create_service_app(
        name="network",
        title="DotMac network",
        description="Network: SNMP polling, traps, telemetry and alerts for ISP devices.",
        runtime=Runtime(name="network", settings=settings.platform, tables=messaging),
    )
