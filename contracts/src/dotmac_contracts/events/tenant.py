from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

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


@event_type("dotmac.tenant.tenant.used.v1")
class TenantUsed(IspEvent):
    """Someone signed in to, or worked in, a demo tenant (at most once an hour per tenant):
    the demo lifecycle extends the demo."""

    used_at: datetime


@event_type("dotmac.tenant.customers.counted.v1")
class CustomersCounted(IspEvent):
    """How many customers an ISP has now (billing meters it; licensing checks tier caps)."""

    isp_id: UUID
    customers: int = Field(ge=0)
    counted_at: datetime


@event_type("dotmac.tenant.tickets.counted.v1")
class TicketsCounted(IspEvent):
    """How many of an ISP's support tickets are open or pending now, after one opened or moved
    (the operator's health score of the ISP weighs them)."""

    isp_id: UUID
    open_tickets: int = Field(ge=0)
    counted_at: datetime


class SnmpAccess(BaseModel):
    """How to poll a device. The community or v3 keys travel only sealed, with the key the
    platform's services share (`DOTMAC_DEVICE_SECRETS_KEYS`), never in plain text."""

    model_config = ConfigDict(frozen=True)

    version: Literal["v1", "v2c", "v3"]
    port: int = Field(ge=1, le=65535)
    username: str | None = None
    auth_protocol: str | None = None
    privacy_protocol: str | None = None
    sealed_secrets: str


class DeviceRecord(BaseModel):
    """A network device as the ISP recorded it."""

    model_config = ConfigDict(frozen=True)

    device_id: UUID
    name: str
    vendor: str
    model: str
    role: str
    management_ip: str
    site: str
    snmp: SnmpAccess


@event_type("dotmac.tenant.device.registered.v1")
class DeviceRegistered(IspEvent):
    """An ISP added a device to its inventory: the network service starts polling it."""

    isp_id: UUID
    device: DeviceRecord
    registered_at: datetime


@event_type("dotmac.tenant.device.changed.v1")
class DeviceChanged(IspEvent):
    """A device's record changed (address, site, SNMP access...): the whole record as it is now."""

    isp_id: UUID
    device: DeviceRecord
    changed_at: datetime


@event_type("dotmac.tenant.device.removed.v1")
class DeviceRemoved(IspEvent):
    """A device left the ISP's inventory: the network service stops polling it."""

    isp_id: UUID
    device_id: UUID
    removed_at: datetime
