from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.config import ServiceSettings

SVIX_SCHEDULE_S = (0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
"""When each attempt of a delivery is made, after the one before failed: at once, 5 s, 5 min,
30 min, 2 h, 5 h, 10 h, 10 h (Svix's schedule): eight attempts over about 28 hours."""


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WEBHOOKS_", extra="ignore")

    port: int = 8107
    retry_schedule_s: list[float] = Field(
        default=list(SVIX_SCHEDULE_S),
        min_length=1,
        description="Delay before each attempt, the first included (tests shorten it)",
    )
    retry_jitter: float = Field(
        default=0.1, ge=0, le=0.5, description="Each delay is moved by up to this fraction"
    )
    timeout_s: float = Field(
        default=15.0, gt=0, description="Only a 2xx answered within this long counts"
    )
    disable_after_failing_s: float = Field(
        default=5 * 24 * 3600.0,
        gt=0,
        description="An endpoint that has failed every attempt for this long is disabled and "
        "its owner told",
    )
    in_flight_per_endpoint: int = Field(
        default=8,
        ge=1,
        description="Deliveries under way to one endpoint at a time: a slow endpoint holds no "
        "more than this, whatever its backlog",
    )
    claim_batch: int = Field(default=500, ge=1, description="Due deliveries taken at once")
    rate_limit_per_s_max: int = Field(
        default=1000, ge=1, description="The highest per-endpoint rate limit an owner may set"
    )
    secret_overlap_s: float = Field(
        default=24 * 3600.0,
        ge=0,
        description="After a secret is rotated, deliveries are signed with both for this long",
    )
    message_retention_days: int = Field(
        default=30, ge=1, description="Messages (and their delivery log) older than this go"
    )
    operator_email: str = Field(
        default="operators@dotmac.localhost",
        description="Who hears about the operator's own endpoints being disabled",
    )
    production: bool = Field(
        default=False,
        description="Endpoints must be https, and no delivery may reach a private, loopback "
        "or link-local address (SSRF). Off in the dev stack, where receivers run on loopback",
    )
