"""The composition root: everything tenant-api's entry points, commands and tests use, built
from its settings."""

from datetime import timedelta

from dotmac_contracts.events import (
    CancellationRequested,
    CancellationRetracted,
    CustomerCreated,
    CustomerReactivated,
    CustomersCounted,
    CustomersImported,
    CustomerStatusChanged,
    CustomerSuspended,
    DeviceChanged,
    DeviceRegistered,
    DeviceRemoved,
    SubscriptionChanged,
    TenantActivated,
    TenantUsed,
    TicketOpened,
    TicketsCounted,
    TicketUpdated,
)
from servicekit.mail import Mailer
from servicekit.outbox import Outbox
from servicekit.runtime import Runtime
from servicekit.sealing import Sealer
from servicekit.telemetry import configure_tracing
from tenant_api.automations import handlers as automations
from tenant_api.billing import handlers as billing
from tenant_api.composition import TenantApi
from tenant_api.config import Settings
from tenant_api.customers import handlers as customers
from tenant_api.identity.auth.access import AccessGuard
from tenant_api.identity.auth.tokens import AccessTokens
from tenant_api.identity.auth.welcome import Welcome
from tenant_api.messagebus import MessageBus
from tenant_api.models import mail_outbox, messaging
from tenant_api.support import handlers as support
from tenant_api.tenancy.entitlements.store import EntitlementStore
from tenant_api.tenancy.entitlements.subscribers import SUBSCRIBERS
from tenant_api.tenancy.placement import Placements
from tenant_api.tenancy.tenants.directory import TenantDirectory

PUBLISHES = (
    TenantActivated,
    TenantUsed,
    CustomersCounted,
    TicketsCounted,
    DeviceRegistered,
    DeviceChanged,
    DeviceRemoved,
    CancellationRequested,
    CancellationRetracted,
    CustomerCreated,
    CustomerStatusChanged,
    CustomerSuspended,
    CustomerReactivated,
    CustomersImported,
    SubscriptionChanged,
    TicketOpened,
    TicketUpdated,
)


def message_bus(entitlements: EntitlementStore, outbox: Outbox) -> MessageBus:
    """Who reacts to each context's domain events, and who carries out each command."""
    bus = MessageBus()
    customers.register(bus, outbox)
    support.register(bus, entitlements, outbox)
    billing.register(bus, outbox)
    automations.register(bus, entitlements)
    return bus


def bootstrap(settings: Settings | None = None) -> TenantApi:
    settings = settings or Settings()
    configure_tracing("tenant-api", settings.platform)
    access_ttl = timedelta(seconds=settings.access_token_ttl_s)
    mailer = Mailer(mail_outbox)
    entitlements = EntitlementStore()
    runtime = Runtime(
        name="tenant-api",
        settings=settings.platform,
        tables=messaging,
        publishes=PUBLISHES,
        subscribers=SUBSCRIBERS,
        database_url=settings.service_database_url(),
    )
    directory = TenantDirectory()
    return TenantApi(
        settings=settings,
        runtime=runtime,
        entitlements=entitlements,
        access_guard=AccessGuard(access_ttl),
        access_tokens=AccessTokens(settings.jwt_secret.get_secret_value(), access_ttl),
        placements=Placements(directory),
        directory=directory,
        mailer=mailer,
        welcome=Welcome(mailer, settings.platform.gateway_url),
        sealer=Sealer.from_settings(settings.platform.device_secrets_keys),
        bus=message_bus(entitlements, runtime.outbox),
    )
