from datetime import datetime
from enum import StrEnum
from typing import Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from dotmac_contracts.vocabulary import Tier
from servicekit.validation import Name


class TenantStatus(StrEnum):
    INITIALIZING = "initializing"
    ACTIVE = "active"


class OwnerSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    email: EmailStr


class TenantSpec(BaseModel):
    """What provisioning asks the framework to create for an ISP."""

    model_config = ConfigDict(extra="forbid")

    slug: str = Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
    name: Name
    tier: Tier
    host: str = Field(max_length=253, pattern=r"^[a-z0-9.-]+$")
    owner: OwnerSpec | None = Field(
        default=None, description="Gets the owner account, and its first-login link by email"
    )
    isolation: Literal["shared", "silo"] = Field(
        default="shared",
        description="shared: the ISP's rows sit in shared tables under row-level security; "
        "silo (enterprise only): in a schema of the ISP's own",
    )
    demo: bool = Field(
        default=False,
        description="a prospect's demo; putting a demo tenant again without it converts it "
        "into the paid ISP's tenant (new slug, host, name and tier; its data kept)",
    )

    @model_validator(mode="after")
    def _silo_is_enterprise(self) -> Self:
        if self.isolation == "silo" and self.tier is not Tier.ENTERPRISE:
            raise ValueError("only enterprise tenants can be placed in a silo")
        return self


class TenantRead(BaseModel):
    id: UUID
    slug: str
    name: str
    tier: Tier
    host: str
    status: TenantStatus
    isolation: Literal["shared", "silo"]
    demo: bool
    created_at: datetime
    activated_at: datetime | None


class TenantHealth(BaseModel):
    status: str = "ok"
    tenant_id: str
    slug: str
    tenant_status: TenantStatus
