"""The composition root: everything registration needs, built from its settings."""

from registration.config import Settings
from registration.models import messaging
from servicekit.runtime import Runtime
from servicekit.telemetry import configure_tracing


def bootstrap(settings: Settings) -> Runtime:
    configure_tracing("registration", settings.platform)
    return Runtime(name="registration", settings=settings.platform, tables=messaging)
