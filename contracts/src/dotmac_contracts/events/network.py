"""What the network service tells of the devices it polls."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from dotmac_contracts.registry import IspEvent, event_type


class InterfaceTelemetry(BaseModel):
    """One interface at one reading."""

    model_config = ConfigDict(frozen=True)

    index: int = Field(description="ifIndex")
    name: str
    oper_up: bool | None
    admin_up: bool | None
    speed_mbps: int | None = Field(description="ifHighSpeed")
    in_bps: float | None = Field(description="null on the first reading and after a restart")
    out_bps: float | None
    in_utilisation: float | None = Field(description="0-1 of the interface's speed")
    out_utilisation: float | None
    errors_in: int | None = Field(description="ifInErrors, cumulative")


@event_type("dotmac.telemetry.device.sampled.v1")
class DeviceSampled(IspEvent):
    """A reading of one device's interfaces, with rates since the reading before. Published
    on `dotmac.telemetry.device.sampled.v1.<isp_id>.<device_id>` (the TELEMETRY stream keeps
    15 minutes), so a tenant's listeners subscribe to its own subjects only."""

    isp_id: UUID
    device_id: UUID
    sampled_at: datetime
    uptime_s: float
    interfaces: list[InterfaceTelemetry]
    cpu_load_pct: float | None = Field(
        default=None,
        description="Mean processor load (HOST-RESOURCES-MIB), where the device has it",
    )
    memory_used_pct: float | None = Field(
        default=None, description="RAM in use (HOST-RESOURCES-MIB), where the device has it"
    )

    @property
    def nats_subject(self) -> str:
        return f"{self.subject}.{self.isp_id}.{self.device_id}"


@event_type("dotmac.network.device.trap_received.v1")
class DeviceTrapReceived(IspEvent):
    """A device sent an SNMP trap: a link went down or up, it (re)started, someone used a wrong
    community on it, or anything else (`kind` "other", with its trap OID)."""

    isp_id: UUID
    device_id: UUID
    kind: str = Field(
        description="link_down, link_up, cold_start, warm_start, authentication_failure, other"
    )
    trap_oid: str
    if_index: int | None = Field(default=None, description="The interface, for link traps")
    received_at: datetime


AlertKind = Literal["device_unreachable", "interface_down", "utilisation_high"]


@event_type("dotmac.network.alert.raised.v1")
class DeviceAlertRaised(IspEvent):
    """Something is wrong with a device: it stopped answering for as many polls as the ISP
    allows, an interface went down (polled, or told by a linkDown trap) while meant to be up,
    or an interface ran above the ISP's utilisation threshold for its time. Raised once per
    alert: a condition that comes back before the alert cleared counts on the same alert."""

    isp_id: UUID
    alert_id: UUID
    device_id: UUID
    device_name: str
    kind: AlertKind
    if_index: int | None = Field(default=None, description="The interface; null: the device")
    interface_name: str | None = None
    summary: str = Field(description="What happened, in words an ISP admin can act on")
    raised_at: datetime


@event_type("dotmac.network.alert.cleared.v1")
class DeviceAlertCleared(IspEvent):
    """An alert's condition has stayed away for the hold-down time: the alert is over."""

    isp_id: UUID
    alert_id: UUID
    device_id: UUID
    device_name: str
    kind: AlertKind
    if_index: int | None = None
    interface_name: str | None = None
    occurrences: int = Field(description="How often the condition came back while it was open")
    raised_at: datetime
    cleared_at: datetime
