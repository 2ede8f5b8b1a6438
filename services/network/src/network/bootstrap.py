"""The composition root: everything network's entry points and tests use, built from its
settings. (The service answers only its health so far: it has no subscribers or events yet.)"""

from dataclasses import dataclass

from network import metrics  # noqa: F401  (its series, exported from the start)
from network.config import Settings
from network.models import messaging
from servicekit.runtime import Runtime
from servicekit.telemetry import configure_tracing


@dataclass
class Network:
    settings: Settings
    runtime: Runtime


def bootstrap(settings: Settings | None = None) -> Network:
    settings = settings or Settings()
    configure_tracing("network", settings.platform)
    return Network(
        settings=settings,
        runtime=Runtime(name="network", settings=settings.platform, tables=messaging),
    )
