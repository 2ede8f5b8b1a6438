from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tenant_api.deps import CurrentTenant, EntitlementsDep

router = APIRouter(prefix="/api/v1/tenant", tags=["tenant"])


class EntitlementsRead(BaseModel):
    tier: str | None = Field(description="Null until the ISP's licence arrives")
    plugins: list[str]
    customer_cap: int | None
    expires_at: datetime | None


@router.get("/entitlements", responses={404: {"description": "No ISP answers at this host"}})
async def my_entitlements(tenant: CurrentTenant, entitlements: EntitlementsDep) -> EntitlementsRead:
    """What this ISP's licence allows: its tier, plugins, customer cap and expiry."""
    grant = entitlements.grant(tenant.id)
    if grant is None:
        return EntitlementsRead(tier=None, plugins=[], customer_cap=None, expires_at=None)
    return EntitlementsRead(
        tier=grant.tier,
        plugins=sorted(grant.plugins),
        customer_cap=grant.customer_cap,
        expires_at=grant.expires_at,
    )
