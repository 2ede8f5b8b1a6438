"""The composition root: what the web app's pages use, built from its settings."""

from dataclasses import dataclass

import httpx

from servicekit.runtime import Runtime
from servicekit.telemetry import configure_tracing
from webapp.config import Settings
from webapp.models import messaging


@dataclass
class WebApp:
    settings: Settings
    runtime: Runtime
    gateway: httpx.AsyncClient
    """The platform's APIs, reached the way a browser would: through the gateway, so the
    gateway's routing table is the only one."""


def bootstrap(settings: Settings | None = None) -> WebApp:
    settings = settings or Settings()
    configure_tracing("webapp", settings.platform)
    runtime = Runtime(name="webapp", settings=settings.platform, tables=messaging, publishes=())
    gateway = httpx.AsyncClient(base_url=settings.platform.gateway_url, timeout=15.0)
    return WebApp(settings, runtime, gateway)
