"""The composition root: everything webhooks' entry points and tests use, built from its
settings."""

from dataclasses import dataclass

from servicekit.mail import Mailer
from servicekit.runtime import Runtime
from servicekit.sealing import Sealer
from servicekit.signins import SignIns
from servicekit.telemetry import configure_tracing
from webhooks.config import Settings
from webhooks.delivery.dispatcher import Dispatcher
from webhooks.fanout.subscribers import SUBSCRIBERS
from webhooks.models import mail_outbox, messaging
from webhooks.streaming.listeners import Listeners


@dataclass
class Webhooks:
    settings: Settings
    runtime: Runtime
    sealer: Sealer
    """Seals the endpoints' signing secrets at rest (the platform's keys)."""
    sign_ins: SignIns
    """Who an ISP's token or API key is, and what it may do (tenant-api answers)."""
    mailer: Mailer
    dispatcher: Dispatcher
    listeners: Listeners


def bootstrap(settings: Settings | None = None) -> Webhooks:
    settings = settings or Settings()
    configure_tracing("webhooks", settings.platform)
    runtime = Runtime(
        name="webhooks",
        settings=settings.platform,
        tables=messaging,
        publishes=(),
        subscribers=SUBSCRIBERS,
    )
    sealer = Sealer.from_settings(settings.platform.device_secrets_keys)
    mailer = Mailer(mail_outbox)
    return Webhooks(
        settings=settings,
        runtime=runtime,
        sealer=sealer,
        sign_ins=SignIns(settings.platform.tenant_api_url),
        mailer=mailer,
        dispatcher=Dispatcher(runtime.db, settings, sealer, mailer),
        listeners=Listeners(),
    )
