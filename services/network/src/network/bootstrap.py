"""The composition root: everything network's entry points and tests use, built from its
settings."""

from dataclasses import dataclass

from dotmac_contracts.events import (
    DeviceAlertCleared,
    DeviceAlertRaised,
    DeviceSampled,
    DeviceTrapReceived,
)
from network import metrics  # noqa: F401  (its series, exported from the start)
from network.config import Settings
from network.inventory.subscribers import SUBSCRIBERS as INVENTORY
from network.models import mail_outbox, messaging
from network.monitoring.subscribers import SUBSCRIBERS as MONITORING
from network.polling.fleet import Fleet
from servicekit.mail import Mailer
from servicekit.runtime import Runtime
from servicekit.sealing import Sealer
from servicekit.signins import SignIns
from servicekit.telemetry import configure_tracing


@dataclass
class Network:
    settings: Settings
    runtime: Runtime
    sealer: Sealer
    """Opens the SNMP secrets tenant-api sealed (the platform's keys)."""
    mailer: Mailer
    """Alert mail, through network's mail outbox (sent by the poll role)."""
    fleet: Fleet
    sign_ins: SignIns
    """Who an ISP's token or API key is, with its permissions and plugins (tenant-api)."""


def bootstrap(settings: Settings | None = None) -> Network:
    settings = settings or Settings()
    configure_tracing("network", settings.platform)
    runtime = Runtime(
        name="network",
        settings=settings.platform,
        tables=messaging,
        # Readings go straight to JetStream, not through the outbox: one is worth little a
        # minute later, and one lost is made up by the next. Traps and alerts go through the
        # outbox.
        publishes=(DeviceSampled, DeviceTrapReceived, DeviceAlertRaised, DeviceAlertCleared),
        subscribers=(*INVENTORY, *MONITORING),
    )
    sealer = Sealer.from_settings(settings.platform.device_secrets_keys)
    mailer = Mailer(mail_outbox)
    return Network(
        settings,
        runtime,
        sealer,
        mailer,
        Fleet(runtime, settings, sealer, mailer),
        SignIns(settings.platform.tenant_api_url),
    )
