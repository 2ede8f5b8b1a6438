"""The composition root: everything billing's entry points and tests use, built from its
settings."""

import asyncio
from dataclasses import dataclass, field

from temporalio.client import Client

from billing.accounts import subscribers as accounts
from billing.clients.stripe import StripeGateway
from billing.config import Settings
from billing.dunning import subscribers as dunning
from billing.dunning.messages import Timeline
from billing.models import mail_outbox, messaging
from billing.notices import Notices
from billing.usage import subscribers as usage
from dotmac_contracts.events import (
    BillingStatusChanged,
    BillingTierChanged,
    UsageThresholdCrossed,
)
from servicekit.mail import Mailer
from servicekit.runtime import Runtime
from servicekit.signins import SignIns
from servicekit.telemetry import configure_tracing
from servicekit.temporal_metrics import connect_temporal


@dataclass
class Billing:
    settings: Settings
    runtime: Runtime
    stripe: StripeGateway
    mailer: Mailer
    notices: Notices
    sign_ins: SignIns
    """Whose sign-in an ISP's access token is (tenant-api answers): the ISP's billing is its
    owner's."""
    _temporal: Client | None = field(default=None, init=False)
    _connecting: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    @property
    def timeline(self) -> Timeline:
        s = self.settings
        return Timeline(list(s.dunning_retry_days), s.dunning_suspend_day, s.dunning_cancel_day)

    async def temporal(self) -> Client:
        """The Temporal client, connected by the first role that needs it (the worker, and the
        subscribers that start and settle dunning)."""
        async with self._connecting:
            if self._temporal is None:
                platform = self.settings.platform
                self._temporal = await connect_temporal(
                    platform.temporal_address, namespace=platform.temporal_namespace
                )
                self.runtime.broker.context.set_global("temporal", self._temporal)
            return self._temporal


def bootstrap(settings: Settings | None = None) -> Billing:
    settings = settings or Settings()
    configure_tracing("billing", settings.platform)
    stripe = StripeGateway(settings.stripe_api_key.get_secret_value(), settings.stripe_api_base)
    runtime = Runtime(
        name="billing",
        settings=settings.platform,
        tables=messaging,
        publishes=(BillingStatusChanged, BillingTierChanged, UsageThresholdCrossed),
        subscribers=(*accounts.SUBSCRIBERS, *usage.SUBSCRIBERS, *dunning.SUBSCRIBERS),
    )
    mailer = Mailer(mail_outbox)
    notices = Notices(
        mailer,
        list(settings.dunning_retry_days),
        settings.dunning_suspend_day,
        settings.dunning_cancel_day,
    )
    billing = Billing(
        settings=settings,
        runtime=runtime,
        stripe=stripe,
        mailer=mailer,
        notices=notices,
        sign_ins=SignIns(settings.platform.tenant_api_url),
    )
    context = runtime.broker.context
    context.set_global("stripe", stripe)
    context.set_global("notices", notices)
    context.set_global("task_queue", settings.task_queue)
    context.set_global("dunning_timeline", billing.timeline)
    return billing
