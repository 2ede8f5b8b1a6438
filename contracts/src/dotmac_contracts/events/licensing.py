from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from dotmac_contracts.registry import Event, IspEvent, event_type
from dotmac_contracts.vocabulary import Tier


@event_type("dotmac.licensing.licence.issued.v1")
class LicenceIssued(IspEvent):
    """An ISP holds a licence: what it may use, until when, and the signed token that proves it
    (verifiable offline with the key set at `/.well-known/dotmac-licence-keys`)."""

    licence_id: UUID
    isp_id: UUID
    tier: Tier
    plugins: list[str] = Field(description="Every plugin the tier includes, lower tiers' too")
    customer_cap: int | None = Field(description="Most customers the ISP may have; null: no cap")
    issued_at: datetime
    expires_at: datetime
    token: str = Field(description="EdDSA-signed JWT carrying the same claims")
    api_rate_per_minute: int | None = Field(
        default=None,
        description="Requests per minute the ISP's API keys may make; null: no API access",
    )


@event_type("dotmac.licensing.licence.changed.v1")
class LicenceChanged(IspEvent):
    """An ISP's licence was replaced by one for another tier (its token changes too)."""

    licence_id: UUID
    isp_id: UUID
    previous_tier: Tier
    tier: Tier
    plugins: list[str] = Field(description="Every plugin the new tier includes")
    customer_cap: int | None
    issued_at: datetime
    expires_at: datetime
    token: str
    api_rate_per_minute: int | None = Field(
        default=None,
        description="Requests per minute the ISP's API keys may make; null: no API access",
    )


@event_type("dotmac.licensing.licence.suspended.v1")
class LicenceSuspended(IspEvent):
    """The ISP's licence is suspended (unpaid, or by an operator): its instance stays readable
    but refuses every change until the licence is reinstated."""

    licence_id: UUID
    isp_id: UUID
    reason: str = Field(description="Why, in words an ISP admin can act on")
    suspended_at: datetime


@event_type("dotmac.licensing.licence.reinstated.v1")
class LicenceReinstated(IspEvent):
    """A suspended licence is in force again."""

    licence_id: UUID
    isp_id: UUID
    reinstated_at: datetime


@event_type("dotmac.licensing.licence.revoked.v1")
class LicenceRevoked(IspEvent):
    """The ISP's licence is withdrawn for good (cancellation, abuse): its instance grants no
    plugin and refuses every change. A new licence is needed to use it again."""

    licence_id: UUID
    isp_id: UUID
    reason: str
    revoked_at: datetime


class TierTerms(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Tier
    price_cents: int
    currency: str
    custom_pricing: bool
    customer_cap: int | None
    plugins: list[str] = Field(description="Every plugin included, lower tiers' too")
    support: str
    api_access: str = Field(description="none, limited or full")
    api_rate_per_minute: int | None = Field(
        default=None, description="Requests per minute for API keys; null: no API access"
    )


@event_type("dotmac.licensing.catalog.published.v1")
class TierCatalogPublished(Event):
    """The tier catalogue and plugin registry as licensing defines them now, published whenever
    they change. Services that gate, cap or price by tier keep the latest instead of a copy."""

    version: str = Field(description="Content hash: equal versions are equal catalogues")
    tiers: list[TierTerms] = Field(description="Lowest tier first")
    plugins: dict[str, Tier] = Field(description="Every plugin, with the lowest tier that has it")
    published_at: datetime

    def ce_subject(self) -> str:
        return "catalog"
