from datetime import datetime
from uuid import UUID

from pydantic import Field

from dotmac_contracts.registry import IspEvent, event_type
from dotmac_contracts.vocabulary import Tier


@event_type("dotmac.tenant.tenant.activated.v1")
class TenantActivated(IspEvent):
    """The ISP's tenant in the ISP framework accepts its users. The tenant id is the ISP id."""

    isp_id: UUID
    slug: str
    tier: Tier
    host: str
    activated_at: datetime


@event_type("dotmac.tenant.customers.counted.v1")
class CustomersCounted(IspEvent):
    """How many customers an ISP has now (billing meters it; licensing checks tier caps)."""

    isp_id: UUID
    customers: int = Field(ge=0)
    counted_at: datetime
