"""tenant-api's HTTP API: each ISP's tenant, resolved from the host it is reached at."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from servicekit.http import create_service_app, internal_caller
from servicekit.mail import MailSender
from servicekit.serving import Role
from servicekit.tasks import cancel_and_wait
from tenant_api.automations.endpoints import router as automations
from tenant_api.billing.branding.endpoints import UPLOADS as BRANDING_UPLOADS
from tenant_api.billing.branding.endpoints import router as billing_branding
from tenant_api.billing.documents.endpoints import router as invoice_documents
from tenant_api.billing.documents.mailing import InvoiceMailer
from tenant_api.billing.dunning.endpoints import router as dunning
from tenant_api.billing.dunning.scheduler import DunningScheduler
from tenant_api.billing.holds.endpoints import router as billing_holds
from tenant_api.billing.invoices.endpoints import router as invoices
from tenant_api.billing.payments.endpoints import router as payments
from tenant_api.billing.payments.endpoints import stripe_router as stripe_account
from tenant_api.billing.plans.endpoints import router as plans
from tenant_api.billing.runs.endpoints import router as bill_runs
from tenant_api.billing.runs.scheduler import BillScheduler
from tenant_api.billing.settings.endpoints import router as billing_settings
from tenant_api.billing.subscriptions.endpoints import router as subscriptions
from tenant_api.bootstrap import TenantApi
from tenant_api.customers.counts import CountAnnouncer
from tenant_api.customers.endpoints import router as customers
from tenant_api.demo import endpoints as demo
from tenant_api.devices.endpoints import router as devices
from tenant_api.devices.telemetry import router as device_telemetry
from tenant_api.identity.apikeys.endpoints import router as api_keys
from tenant_api.identity.auth.endpoints import router as auth
from tenant_api.identity.users.endpoints import router as users
from tenant_api.imports.endpoints import UPLOADS
from tenant_api.imports.endpoints import router as imports
from tenant_api.reports.endpoints import router as reports
from tenant_api.support.endpoints import router as tickets
from tenant_api.tenancy.entitlements.endpoints import router as entitlements
from tenant_api.tenancy.offboarding import endpoints as offboarding
from tenant_api.tenancy.tenants.endpoints import internal_router, public


def create_app(tenant_api: TenantApi) -> FastAPI:
    runtime, platform = tenant_api.runtime, tenant_api.settings.platform
    bill_scheduler = BillScheduler(
        tenant_api.entitlements, tenant_api.bus, tenant_api.settings.bill_schedule_interval_s
    )
    dunning_scheduler = DunningScheduler(
        tenant_api.entitlements,
        tenant_api.bus,
        tenant_api.mailer,
        tenant_api.settings.bill_schedule_interval_s,
    )
    invoice_mailer = InvoiceMailer(tenant_api.entitlements, tenant_api.mailer)
    count_announcer = CountAnnouncer(runtime.outbox, tenant_api.settings.customer_count_interval_s)

    @asynccontextmanager
    async def mail_sender() -> AsyncIterator[None]:
        sending = runtime.spawn(
            MailSender(runtime.db, tenant_api.mailer, platform).run(), "mail-sender"
        )
        yield
        await cancel_and_wait(sending)

    return create_service_app(
        name="tenant-api",
        title="DotMac ISP framework",
        description="Each ISP's tenant: resolved from the host it is reached at.",
        state={"runtime": runtime, "tenant_api": tenant_api},
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
            billing_settings,
            invoices,
            invoice_documents,
            billing_branding,
            bill_runs,
            billing_holds,
            payments,
            stripe_account,
            dunning,
            tickets,
            device_telemetry,
            devices,
            reports,
            automations,
            demo.router,
            demo.internal_router(internal_caller(platform)),
            offboarding.router,
            offboarding.internal_router(internal_caller(platform)),
            internal_router(internal_caller(platform)),
        ),
        uploads={**UPLOADS, **BRANDING_UPLOADS},
        background=(
            lambda: tenant_api.directory.kept_current(runtime),
            lambda: tenant_api.placements.kept_current(runtime),
            lambda: tenant_api.entitlements.kept_current(runtime),
            lambda: tenant_api.access_guard.kept_current(runtime),
            mail_sender,
            lambda: bill_scheduler.kept_running(runtime),
            lambda: dunning_scheduler.kept_running(runtime),
            lambda: invoice_mailer.kept_running(runtime),
            lambda: count_announcer.kept_running(runtime),
        ),
    )


def role(tenant_api: TenantApi) -> Role:
    return Role(app=create_app(tenant_api))
