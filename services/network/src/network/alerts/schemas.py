from datetime import datetime

from pydantic import BaseModel, Field


class AlertOut(BaseModel):
    alert_id: str
    device_id: str
    device_name: str
    kind: str = Field(description="device_unreachable, interface_down or utilisation_high")
    if_index: int | None = Field(description="The interface; null: the device itself")
    interface_name: str | None
    summary: str
    state: str = Field(description="open, clearing (its condition is away) or cleared")
    occurrences: int = Field(description="Times the condition happened while the alert was open")
    raised_at: datetime
    last_raised_at: datetime
    cleared_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None


class AlertPage(BaseModel):
    items: list[AlertOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: the end")
