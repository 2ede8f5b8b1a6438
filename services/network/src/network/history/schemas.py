from datetime import datetime

from pydantic import BaseModel, Field


class RatePoint(BaseModel):
    at: datetime = Field(description="The bucket's start")
    in_bps_avg: float
    in_bps_max: float
    out_bps_avg: float
    out_bps_max: float
    samples: int


class InterfaceHistory(BaseModel):
    index: int
    name: str
    points: list[RatePoint]


class DeviceHistory(BaseModel):
    device_id: str
    resolution_s: int
    since: datetime
    until: datetime
    interfaces: list[InterfaceHistory]
