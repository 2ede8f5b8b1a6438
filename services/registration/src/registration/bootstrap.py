"""The composition root: everything registration's entry points and tests use, built from its
settings."""

from dataclasses import dataclass, field

from dotmac_contracts.events import DemoRequested, IspRegistered
from registration.config import Settings
from registration.demos.subscribers import SUBSCRIBERS as DEMO_SUBSCRIBERS
from registration.deployments.subscribers import SUBSCRIBERS as DEPLOYMENT_SUBSCRIBERS
from registration.deployments.watch import DeploymentWatch
from registration.models import messaging
from servicekit.runtime import Runtime
from servicekit.telemetry import configure_tracing

PUBLISHES = (IspRegistered, DemoRequested)


@dataclass
class Registration:
    settings: Settings
    runtime: Runtime
    watch: DeploymentWatch = field(default_factory=DeploymentWatch)


def bootstrap(settings: Settings | None = None) -> Registration:
    settings = settings or Settings()
    configure_tracing("registration", settings.platform)
    runtime = Runtime(
        name="registration",
        settings=settings.platform,
        tables=messaging,
        publishes=PUBLISHES,
        subscribers=[*DEPLOYMENT_SUBSCRIBERS, *DEMO_SUBSCRIBERS],
    )
    return Registration(settings=settings, runtime=runtime)
