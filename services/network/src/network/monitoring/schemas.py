from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field

Interval = Annotated[int, Field(ge=10, le=3600, description="Seconds between readings, 10-3600")]


class MonitoringSettings(BaseModel):
    """How an ISP's devices are watched."""

    poll_interval_s: float = Field(description="Seconds between readings of each device")
    unreachable_polls: int = Field(
        description="Polls in a row without an answer before a device is alerted as unreachable"
    )
    utilisation_pct: int = Field(description="An interface this busy (in or out, %)...")
    utilisation_minutes: int = Field(description="...for this many minutes raises an alert")
    alert_emails: bool = Field(
        description="Alerts are mailed when raised (needs the email_notifications plugin)"
    )
    alert_email_to: str | None = Field(description="Where; null: the primary contact")
    polled: bool = Field(
        description="Whether the ISP's licence lets its devices be polled (snmp_integration)"
    )


class MonitoringChange(BaseModel):
    """The settings to change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    poll_interval_s: Interval | None = Field(
        default=None, description="null: the platform's default (60 s)"
    )
    unreachable_polls: int | None = Field(default=None, ge=1, le=20)
    utilisation_pct: int | None = Field(default=None, ge=1, le=100)
    utilisation_minutes: int | None = Field(default=None, ge=0, le=1440)
    alert_emails: bool | None = None
    alert_email_to: EmailStr | None = Field(default=None, max_length=320)


class DeviceMonitoringChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    poll_interval_s: Interval | None = Field(description="null: the ISP's interval")


class DeviceMonitoring(BaseModel):
    device_id: str
    poll_interval_s: int | None = Field(description="The device's own; null: the ISP's")
    effective_interval_s: float
