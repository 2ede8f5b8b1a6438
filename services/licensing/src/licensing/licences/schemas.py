from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from dotmac_contracts.vocabulary import Tier


class LicenceRead(BaseModel):
    licence_id: UUID = Field(validation_alias="id")
    isp_id: UUID
    tier: Tier
    plugins: list[str]
    customer_cap: int | None
    status: str
    issued_at: datetime
    expires_at: datetime
    token: str = Field(description="EdDSA JWT; verify it with /.well-known/dotmac-licence-keys")


class TierChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier: Tier = Field(description="The tier the ISP moves to")
