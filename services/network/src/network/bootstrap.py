"""The composition root: everything network's entry points and tests use, built from its
settings."""

from dataclasses import dataclass

from dotmac_contracts.events import DeviceSampled, DeviceTrapReceived
from network import metrics  # noqa: F401  (its series, exported from the start)
from network.config import Settings
from network.inventory.subscribers import SUBSCRIBERS
from network.models import messaging
from network.polling.fleet import Fleet
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
        # minute later, and one lost is made up by the next. Traps go through the outbox.
        publishes=(DeviceSampled, DeviceTrapReceived),
        subscribers=SUBSCRIBERS,
    )
    sealer = Sealer.from_settings(settings.platform.device_secrets_keys)
    return Network(
        settings,
        runtime,
        sealer,
        Fleet(runtime, settings, sealer),
        SignIns(settings.platform.tenant_api_url),
    )
