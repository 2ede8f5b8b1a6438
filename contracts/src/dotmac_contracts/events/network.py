"""What the network service tells of the devices it polls."""

from datetime import datetime
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
