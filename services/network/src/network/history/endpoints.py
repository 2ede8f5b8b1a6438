"""A device's interface rates over a time range, from the rollups: for an ISP's people or
API keys with `network:read`, on a tier with network monitoring."""

from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from network.access import Reader
from network.history import repository
from network.history.schemas import DeviceHistory, InterfaceHistory, RatePoint
from network.models import Device
from servicekit.problems import NotFound, UnprocessableContent

router = APIRouter(prefix="/api/v1/network/isp/{isp_id}", tags=["history"])
MAX_POINTS = 2000


@router.get("/devices/{device_id}/history")
async def device_history(
    device_id: UUID,
    request: Request,
    isp: Reader,
    resolution: Annotated[int, Query(description="Bucket length in seconds: 300 or 3600")] = 300,
    since: datetime | None = None,
    until: datetime | None = None,
) -> DeviceHistory:
    """Each interface's rates per bucket (5 minutes, kept 7 days; or an hour, kept 90 days):
    average and peak, in and out. Defaults to the last 24 hours."""
    if resolution not in repository.RESOLUTIONS:
        raise UnprocessableContent("`resolution` is 300 (5 minutes) or 3600 (an hour).")
    until = until or datetime.now(UTC)
    since = since or until - timedelta(days=1)
    if since.tzinfo is None or until.tzinfo is None:
        raise UnprocessableContent("Give `since` and `until` with a time zone (Z or +02:00).")
    if since >= until:
        raise UnprocessableContent("`since` must come before `until`.")
    if (until - since).total_seconds() / resolution > MAX_POINTS:
        raise UnprocessableContent(
            f"At most {MAX_POINTS} buckets at once: shorten the range or take hourly buckets."
        )
    db = request.state.network.runtime.db
    async with db.reading() as connection:
        owner = (
            await connection.execute(select(Device.tenant_id).where(Device.device_id == device_id))
        ).scalar_one_or_none()
        if owner != isp:
            raise NotFound("No such device.")
        rows = await repository.history(connection, device_id, resolution, since, until)
    interfaces: dict[int, InterfaceHistory] = {}
    for row in rows:
        entry = interfaces.setdefault(
            row.if_index, InterfaceHistory(index=row.if_index, name=row.name, points=[])
        )
        entry.points.append(
            RatePoint(
                at=row.bucket_start,
                in_bps_avg=row.in_bps_sum / row.samples,
                in_bps_max=row.in_bps_max,
                out_bps_avg=row.out_bps_sum / row.samples,
                out_bps_max=row.out_bps_max,
                samples=row.samples,
            )
        )
    return DeviceHistory(
        device_id=str(device_id),
        resolution_s=resolution,
        since=since,
        until=until,
        interfaces=list(interfaces.values()),
    )
