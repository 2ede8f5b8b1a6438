"""Settings every service shares. Only this module (and each service's config.py) reads the
environment; defaults are the dev stack's, so a bare `make up` needs no configuration."""

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class PlatformSettings(BaseSettings):
    """Where the shared infrastructure is. Environment prefix `DOTMAC_`."""

    model_config = SettingsConfigDict(env_prefix="DOTMAC_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5433/dotmac"
    database_connections: int = Field(
        default=30,
        ge=2,
        description="Connections each process keeps open to Postgres, all opened as a served "
        "process starts (one of them listens for notifications); mind Postgres's "
        "max_connections across processes and replicas",
    )
    nats_url: str = "nats://127.0.0.1:4222"
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    gateway_url: str = "http://127.0.0.1:8080"
    tenant_api_url: str = "http://127.0.0.1:8106"
    tenant_base_domain: str = Field(
        default="localhost", description="ISP instances answer on <slug>.<tenant_base_domain>"
    )
    internal_token: SecretStr = Field(
        default=SecretStr("dev-only-internal-token"),
        description="Bearer token services present to each other's /internal routes",
    )
    operator_token: SecretStr = Field(
        default=SecretStr("dev-only-operator-token"),
        description="Bearer token of the platform's operators (the operator console and its "
        "API: revenue, churn, ISP health); never an ISP's",
    )
    device_secrets_keys: SecretStr | None = Field(
        default=None,
        description="Fernet keys, comma-separated, that seal network devices' SNMP secrets at "
        "rest and on the bus. The first seals; every one unseals, so keys can be rotated. No "
        "default: a service that seals refuses to start without them (the dev stack makes its "
        "own, in .dotmac/secrets/)",
    )
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=1025, description="The dev stack's mail sink listens here")
    mail_from: str = "DotMac <no-reply@dotmac.localhost>"
    otlp_endpoint: str | None = Field(
        default=None, description="OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318"
    )
    trace_console: bool = Field(default=False, description="Print finished spans to stderr")
    metrics: bool = Field(
        default=True,
        description="Measure and serve /metrics (HTTP, bus, outbox, pool and the Temporal SDK's); "
        "false leaves every measurement out, for comparing its cost",
    )
    fault_route: bool = Field(
        default=False,
        description="Tests only: each served API also answers GET /api/v1/<service>/_fault by "
        "failing with an unhandled error, so a test can show that a failed request costs only "
        "itself",
    )


class ServiceSettings(BaseSettings):
    """Base of each service's own settings; subclasses set their env prefix."""

    model_config = SettingsConfigDict(extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    platform: PlatformSettings = Field(default_factory=PlatformSettings)
