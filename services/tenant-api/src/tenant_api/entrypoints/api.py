from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from servicekit.http import create_service_app, internal_caller
from servicekit.mail import Mailer, MailSender
from servicekit.runtime import Runtime
from servicekit.sealing import Sealer
from servicekit.tasks import cancel_and_wait
from servicekit.telemetry import configure_tracing
from tenant_api.apikeys.endpoints import router as api_keys
from tenant_api.auth.access import AccessGuard
from tenant_api.auth.endpoints import router as auth
from tenant_api.auth.tokens import AccessTokens
from tenant_api.auth.welcome import Welcome
from tenant_api.automations.endpoints import router as automations
from tenant_api.config import Settings
from tenant_api.customers.endpoints import router as customers
from tenant_api.demo import endpoints as demo
from tenant_api.devices.endpoints import router as devices
from tenant_api.entitlements.endpoints import router as entitlements
from tenant_api.entitlements.store import EntitlementStore
from tenant_api.entitlements.subscribers import SUBSCRIPTIONS
from tenant_api.imports.endpoints import UPLOADS
from tenant_api.imports.endpoints import router as imports
from tenant_api.models import mail_outbox, messaging
from tenant_api.offboarding import endpoints as offboarding
from tenant_api.placement import Placements
from tenant_api.plans.endpoints import router as plans
from tenant_api.reports.endpoints import router as reports
from tenant_api.subscriptions.endpoints import router as subscriptions
from tenant_api.tenants.directory import TenantDirectory
from tenant_api.tenants.endpoints import internal_router, public
from tenant_api.tickets.endpoints import router as tickets
from tenant_api.users.endpoints import router as users


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_tracing("tenant-api", settings.platform)
    store = EntitlementStore()
    access_ttl = timedelta(seconds=settings.access_token_ttl_s)
    guard = AccessGuard(access_ttl)
    placements = Placements()
    directory = TenantDirectory()
    runtime = Runtime(
        name="tenant-api",
        settings=settings.platform,
        tables=messaging,
        database_url=settings.service_database_url(),
    )
    mailer = Mailer(mail_outbox)

    @asynccontextmanager
    async def mail_sender(runtime: Runtime) -> AsyncIterator[None]:
        sending = runtime.spawn(
            MailSender(runtime.db, mailer, settings.platform).run(), "mail-sender"
        )
        yield
        await cancel_and_wait(sending)

    app = create_service_app(
        name="tenant-api",
        title="DotMac ISP framework",
        description="Each ISP's tenant: resolved from the host it is reached at.",
        runtime=runtime,
        routers=(
            public,
            entitlements,
            auth,
            users,
            api_keys,
            customers,
            imports,
            plans,
            subscriptions,
            tickets,
            devices,
            reports,
            automations,
            demo.router,
            demo.internal_router(internal_caller(settings.platform)),
            offboarding.router,
            offboarding.internal_router(internal_caller(settings.platform)),
            internal_router(internal_caller(settings.platform)),
        ),
        subscriptions=SUBSCRIPTIONS,
        uploads=UPLOADS,
        background=(
            directory.kept_current,
            placements.kept_current,
            store.kept_current,
            guard.kept_current,
            mail_sender,
        ),
    )
    app.state.entitlements = store
    app.state.settings = settings
    app.state.welcome = Welcome(mailer, settings.platform.gateway_url)
    app.state.access_guard = guard
    app.state.tenant_directory = directory
    app.state.sealer = Sealer(settings.platform.device_secrets_keys.get_secret_value())
    app.state.access_tokens = AccessTokens(settings.jwt_secret.get_secret_value(), access_ttl)
    return app
