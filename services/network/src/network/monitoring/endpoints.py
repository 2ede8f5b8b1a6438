"""An ISP's monitoring settings: how often its devices are read (each device may have its own
interval, down to 10 s) and when an alert is raised."""

from uuid import UUID

from fastapi import APIRouter, Request

from network.access import Reader, Writer
from network.monitoring import repository
from network.monitoring.schemas import (
    DeviceMonitoring,
    DeviceMonitoringChange,
    MonitoringChange,
    MonitoringSettings,
)
from network.monitoring.settings import polled, watch_settings
from servicekit.problems import NotFound, UnprocessableContent

router = APIRouter(prefix="/api/v1/network/isp/{isp_id}", tags=["monitoring"])

NOT_NULL = ("unreachable_polls", "utilisation_pct", "utilisation_minutes", "alert_emails")


@router.get("/monitoring")
async def read_settings(isp: Reader, request: Request) -> MonitoringSettings:
    return await _settings(request, isp)


@router.patch("/monitoring")
async def change_settings(
    isp_id: UUID, change: MonitoringChange, caller: Writer, request: Request
) -> MonitoringSettings:
    """Change the settings given; the ISP's devices are read on the new interval from the
    next reading on."""
    values = change.model_dump(exclude_unset=True)
    if nulls := [k for k in NOT_NULL if k in values and values[k] is None]:
        raise UnprocessableContent(f"{', '.join(nulls)} cannot be null; leave it out to keep it.")
    if "alert_email_to" in values and values["alert_email_to"] is not None:
        values["alert_email_to"] = str(values["alert_email_to"])
    async with request.state.network.runtime.db.unit_of_work() as session:
        await repository.keep(session, isp_id, **values)
    return await _settings(request, isp_id)


@router.put("/devices/{device_id}/monitoring")
async def change_device(
    isp_id: UUID,
    device_id: UUID,
    change: DeviceMonitoringChange,
    caller: Writer,
    request: Request,
) -> DeviceMonitoring:
    """The device's own interval (10 s and up), or null to follow the ISP's."""
    network = request.state.network
    async with network.runtime.db.unit_of_work() as session:
        found = await repository.set_device_interval(
            session, isp_id, device_id, change.poll_interval_s
        )
    if not found:
        raise NotFound("No such device.")
    settings = await _settings(request, isp_id)
    return DeviceMonitoring(
        device_id=str(device_id),
        poll_interval_s=change.poll_interval_s,
        effective_interval_s=change.poll_interval_s or settings.poll_interval_s,
    )


async def _settings(request: Request, isp_id: UUID) -> MonitoringSettings:
    network = request.state.network
    async with network.runtime.db.reading() as connection:
        row = await repository.tenant(connection, isp_id)
    watch = watch_settings(row, network.settings)
    return MonitoringSettings(
        poll_interval_s=watch.poll_interval_s,
        unreachable_polls=watch.unreachable_polls,
        utilisation_pct=watch.utilisation_pct,
        utilisation_minutes=watch.utilisation_minutes,
        alert_emails=watch.alert_emails,
        alert_email_to=row.alert_email_to if row is not None else None,
        polled=polled(row),
    )
