from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from dotmac_contracts.vocabulary import Tier
from licensing.models import LicenceStatus
from servicekit.validation import Description


class LicenceRead(BaseModel):
    licence_id: UUID = Field(validation_alias="id")
    isp_id: UUID
    tier: Tier
    plugins: list[str]
    customer_cap: int | None
    api_rate_per_minute: int | None = Field(
        description="Requests per minute the ISP's API keys may make; null: no API access"
    )
    status: LicenceStatus = Field(
        description="active; suspended until reinstated; revoked for good (a new licence is needed)"
    )
    status_reason: str | None = Field(description="Why it is suspended or revoked")
    status_changed_at: datetime | None = Field(
        description="When it was last suspended, reinstated or revoked; null: never"
    )
    issued_at: datetime
    expires_at: datetime
    token: str = Field(description="EdDSA JWT; verify it with /.well-known/dotmac-licence-keys")


class TierChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier: Tier = Field(description="The tier the ISP moves to")


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Description = Field(
        description="Why, in words the ISP's admins can act on (1-500 characters)"
    )
