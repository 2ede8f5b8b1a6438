"""The composition root: everything tenant-api's entry points, commands and tests use, built
from its settings."""

from dataclasses import dataclass
from datetime import timedelta

from dotmac_contracts.events import (
    CancellationRequested,
    CancellationRetracted,
    CustomersCounted,
    DeviceChanged,
    DeviceRegistered,
    DeviceRemoved,
    TenantActivated,
    TenantUsed,
)
from servicekit.mail import Mailer
from servicekit.runtime import Runtime
from servicekit.sealing import Sealer
from servicekit.telemetry import configure_tracing
from tenant_api.auth.access import AccessGuard
from tenant_api.auth.tokens import AccessTokens
from tenant_api.auth.welcome import Welcome
from tenant_api.config import Settings
from tenant_api.entitlements.store import EntitlementStore
from tenant_api.entitlements.subscribers import SUBSCRIBERS
from tenant_api.models import mail_outbox, messaging
from tenant_api.placement import Placements
from tenant_api.tenants.directory import TenantDirectory

PUBLISHES = (
    TenantActivated,
    TenantUsed,
    CustomersCounted,
    DeviceRegistered,
    DeviceChanged,
    DeviceRemoved,
    CancellationRequested,
    CancellationRetracted,
)


@dataclass
class TenantApi:
    settings: Settings
    runtime: Runtime
    entitlements: EntitlementStore
    access_guard: AccessGuard
    access_tokens: AccessTokens
    placements: Placements
    directory: TenantDirectory
    mailer: Mailer
    welcome: Welcome
    sealer: Sealer

    @property
    def refresh_ttl(self) -> timedelta:
        return timedelta(seconds=self.settings.refresh_token_ttl_s)


def bootstrap(settings: Settings | None = None) -> TenantApi:
    settings = settings or Settings()
    configure_tracing("tenant-api", settings.platform)
    access_ttl = timedelta(seconds=settings.access_token_ttl_s)
    mailer = Mailer(mail_outbox)
    return TenantApi(
        settings=settings,
        runtime=Runtime(
            name="tenant-api",
            settings=settings.platform,
            tables=messaging,
            publishes=PUBLISHES,
            subscribers=SUBSCRIBERS,
            database_url=settings.service_database_url(),
        ),
        entitlements=EntitlementStore(),
        access_guard=AccessGuard(access_ttl),
        access_tokens=AccessTokens(settings.jwt_secret.get_secret_value(), access_ttl),
        placements=Placements(),
        directory=TenantDirectory(),
        mailer=mailer,
        welcome=Welcome(mailer, settings.platform.gateway_url),
        sealer=Sealer.from_settings(settings.platform.device_secrets_keys),
    )
