from datetime import datetime
from uuid import UUID

from pydantic import Field

from dotmac_contracts.registry import Event, event_type
from dotmac_contracts.vocabulary import Tier


@event_type("dotmac.licensing.licence.issued.v1")
class LicenceIssued(Event):
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
