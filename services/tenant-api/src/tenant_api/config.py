from ipaddress import IPv4Network
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints
from pydantic_settings import SettingsConfigDict
from sqlalchemy.engine import make_url

from servicekit.config import ServiceSettings

Community = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")
]


class DemoSnmpFleet(BaseModel):
    """Simulated SNMP devices the demo scenarios' devices are pointed at (the dev stack's demo
    fleet), so that a demo's network pages show numbers that move.

    One agent answers every address of `network` on `port`, a simulated device per community;
    `communities` lists, for each device role, the communities of the simulated devices of
    that role. Demo devices need an address each (an ISP's devices have distinct management
    addresses), hence a network rather than one address."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    network: IPv4Network = Field(description="Each demo device gets the next address of it")
    port: int = Field(ge=1, le=65535, description="UDP port the agent answers on")
    communities: dict[str, Annotated[tuple[Community, ...], Field(min_length=1)]] = Field(
        description="Device role (router, switch, olt, ...) -> communities of that role's "
        "simulated devices"
    )


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TENANT_API_", extra="ignore")

    port: int = 8106

    database_url: str | None = Field(
        default=None,
        description="How the service connects: as a role that owns no table, so row-level "
        "security binds it. Default: the platform database as role dotmac_tenant_api.",
    )
    jwt_secret: SecretStr = Field(
        default=SecretStr("dev-only-tenant-api-jwt-secret-change-me"),
        description="Signs access tokens (HS256); the same on every replica",
    )
    access_token_ttl_s: int = Field(default=900, ge=60, le=3600)
    refresh_token_ttl_s: int = Field(default=30 * 86400, ge=3600)
    bill_schedule_interval_s: float = Field(
        default=300, gt=0, description="How often each replica looks for automatic bill runs due"
    )
    customer_count_interval_s: float = Field(
        default=2.0,
        gt=0,
        description="How often each replica announces the customer counts that changed "
        "(CustomersCounted, one event for every ISP whose count changed meanwhile)",
    )
    stripe_api_base: str | None = Field(
        default=None,
        description="Where ISPs' Stripe accounts are reached; unset: Stripe's own API. Tests "
        "and the dev stack point it at their localstripe",
    )
    demo_snmp_fleet: DemoSnmpFleet | None = Field(
        default=None,
        description="Development only (`make up` sets it, as JSON): the simulated devices "
        "sample data's devices answer from. Unset, they get made-up addresses nothing answers",
    )

    def service_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        url = make_url(self.platform.database_url).set(username="dotmac_tenant_api", password=None)
        return url.render_as_string(hide_password=False)
