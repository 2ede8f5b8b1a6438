from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from dotmac_contracts.vocabulary import DeploymentState, Region, Tier


class IspSummary(BaseModel):
    isp_id: UUID
    slug: str
    company_name: str
    domain: str
    tier: Tier
    region: Region
    state: DeploymentState = Field(description="Where its deployment stands")
    provider: str | None
    workflow_id: str | None = Field(description="Its onboarding in the Temporal UI")
    registered_at: datetime
    updated_at: datetime = Field(description="When its deployment last changed")


class IspCounts(BaseModel):
    """Every ISP ever registered, whatever the filters, counted three ways."""

    by_state: dict[str, int]
    by_tier: dict[str, int]
    by_region: dict[str, int]


class IspList(BaseModel):
    items: list[IspSummary] = Field(description="The newest first")
    total: int = Field(description="ISPs matching the filters")
    counts: IspCounts
