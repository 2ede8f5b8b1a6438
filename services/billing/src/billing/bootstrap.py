"""The composition root: everything billing's entry points and tests use, built from its
settings. (The service answers only its health so far: it has no subscribers or events yet.)"""

from dataclasses import dataclass

from billing.config import Settings
from billing.models import messaging
from servicekit.runtime import Runtime
from servicekit.telemetry import configure_tracing


@dataclass
class Billing:
    settings: Settings
    runtime: Runtime


def bootstrap(settings: Settings | None = None) -> Billing:
    settings = settings or Settings()
    configure_tracing("billing", settings.platform)
    return Billing(
        settings=settings,
        runtime=Runtime(name="billing", settings=settings.platform, tables=messaging),
    )
