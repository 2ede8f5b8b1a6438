from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, status
from fastapi.responses import Response

from dotmac_contracts.vocabulary import Plugin
from servicekit.http import OutboxDep
from tenant_api.deps import (
    ERRORS,
    NOT_FOUND,
    Caller,
    SealerDep,
    TenantSession,
    TenantWork,
    require,
    require_plugin,
)
from tenant_api.devices import service
from tenant_api.devices.schemas import (
    DeviceCreate,
    DevicePage,
    DeviceRead,
    DeviceRole,
    DeviceUpdate,
    SnmpRead,
)
from tenant_api.identity.auth.roles import Permission
from tenant_api.listing import CSV_RESPONSE, PagingDep, SearchText
from tenant_api.models import Device

router = APIRouter(
    prefix="/api/v1/devices",
    tags=["devices"],
    dependencies=[require_plugin(Plugin.NETWORK_MONITORING)],
    responses=ERRORS,
)
Reader = Annotated[Caller, require(Permission.NETWORK_READ)]
Writer = Annotated[Caller, require(Permission.NETWORK_WRITE)]
TAKEN: dict[int | str, dict[str, Any]] = {
    409: {"description": "Another device is managed at that address"}
}


def read(device: Device) -> DeviceRead:
    return DeviceRead(
        id=device.id,
        name=device.name,
        vendor=device.vendor,
        model=device.model,
        role=DeviceRole(device.role),
        management_ip=str(device.management_ip),
        site=device.site,
        snmp=SnmpRead(
            version=device.snmp_version,  # type: ignore[arg-type]
            port=device.snmp_port,
            username=device.snmp_username,
            auth_protocol=device.snmp_auth_protocol,
            privacy_protocol=device.snmp_privacy_protocol,
        ),
        created_at=device.created_at,
        updated_at=device.updated_at,
    )


@router.post("", status_code=status.HTTP_201_CREATED, responses=TAKEN)
async def add_device(
    spec: DeviceCreate, caller: Writer, work: TenantWork, outbox: OutboxDep, sealer: SealerDep
) -> DeviceRead:
    """Add a device to the inventory; the network service starts polling it."""
    device = await service.add_device(
        work.session, outbox, sealer, caller.tenant_id, spec, now=work.now
    )
    return read(device)


@router.get("", responses=CSV_RESPONSE, response_model=DevicePage)
async def list_devices(
    caller: Reader,
    session: TenantSession,
    paging: PagingDep,
    q: Annotated[SearchText | None, Query(description="any part of the name or address")] = None,
    site: Annotated[SearchText | None, Query()] = None,
    vendor: Annotated[SearchText | None, Query()] = None,
    role: DeviceRole | None = None,
) -> DevicePage | Response:
    """The inventory, by site and name."""
    query = service.search(q=q, site=site, vendor=vendor, role=role)
    rows, total = await paging.fetch(session, query)
    return paging.respond(paging.page(DevicePage, [read(r) for r in rows], total), "devices")


@router.get("/{device_id}", responses=NOT_FOUND)
async def get_device(device_id: UUID, caller: Reader, session: TenantSession) -> DeviceRead:
    return read(await service.get_device(session, device_id))


@router.patch("/{device_id}", responses={**NOT_FOUND, **TAKEN})
async def update_device(
    device_id: UUID,
    change: DeviceUpdate,
    caller: Writer,
    work: TenantWork,
    outbox: OutboxDep,
    sealer: SealerDep,
) -> DeviceRead:
    device = await service.update_device(
        work.session, outbox, sealer, device_id, change, now=work.now
    )
    return read(device)


@router.delete("/{device_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def remove_device(
    device_id: UUID, caller: Writer, work: TenantWork, outbox: OutboxDep
) -> None:
    """Take the device out of the inventory; the network service stops polling it."""
    await service.remove_device(work.session, outbox, device_id, now=work.now)
