from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from servicekit.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_", extra="ignore")

    port: int = 8104
    stripe_api_base: str | None = None
    """Where Stripe's API is: None for Stripe itself; the dev stack and the tests point it at
    their localstripe."""
    stripe_api_key: SecretStr = SecretStr("")
    """The platform's Stripe secret key (`sk_...`). Empty: billing opens no Stripe accounts."""
    stripe_webhook_secret: SecretStr = SecretStr("")
    """The signing secret of the endpoint Stripe sends events to (`whsec_...`). Empty: every
    webhook is refused."""
    stripe_webhook_tolerance_s: int = 300
    """How old a signed webhook may be, in seconds (Stripe's own default)."""
    stripe_webhook_max_bytes: int = 256 * 1024
    """Bigger webhook bodies are refused unread (Stripe's events are a few kilobytes)."""
    task_queue: str = "billing"
    """The Temporal task queue of billing's workflows (dunning)."""
    dunning_retry_days: list[int] = [1, 3, 7]
    """Days after a failed payment on which it is tried again."""
    dunning_suspend_day: int = 14
    """Day after a failed payment on which an unpaid ISP is suspended (its licence too)."""
    dunning_cancel_day: int = 21
    """Day after a failed payment on which an unpaid ISP is cancelled."""
