"""The composition root: everything billing's entry points and tests use, built from its
settings."""

from dataclasses import dataclass

from billing.accounts import subscribers as accounts
from billing.clients.stripe import StripeGateway
from billing.config import Settings
from billing.models import messaging
from billing.usage import subscribers as usage
from dotmac_contracts.events import BillingStatusChanged, UsageThresholdCrossed
from servicekit.runtime import Runtime
from servicekit.telemetry import configure_tracing


@dataclass
class Billing:
    settings: Settings
    runtime: Runtime
    stripe: StripeGateway


def bootstrap(settings: Settings | None = None) -> Billing:
    settings = settings or Settings()
    configure_tracing("billing", settings.platform)
    stripe = StripeGateway(settings.stripe_api_key.get_secret_value(), settings.stripe_api_base)
    runtime = Runtime(
        name="billing",
        settings=settings.platform,
        tables=messaging,
        publishes=(BillingStatusChanged, UsageThresholdCrossed),
        subscribers=(*accounts.SUBSCRIBERS, *usage.SUBSCRIBERS),
    )
    runtime.broker.context.set_global("stripe", stripe)
    return Billing(settings=settings, runtime=runtime, stripe=stripe)
