import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.events import (
    DeviceChanged,
    DeviceRecord,
    DeviceRegistered,
    DeviceRemoved,
    SnmpAccess,
)
from servicekit.outbox import Outbox
from servicekit.problems import Conflict, NotFound
from servicekit.sealing import Sealer
from tenant_api.devices import repository
from tenant_api.devices.schemas import (
    DeviceCreate,
    DeviceRole,
    DeviceUpdate,
    SnmpCommunity,
    SnmpUser,
)
from tenant_api.models import Device


def snmp_columns(snmp: SnmpCommunity | SnmpUser, sealer: Sealer) -> dict[str, Any]:
    """The device's SNMP columns: what is public as it is, the secrets sealed."""
    if isinstance(snmp, SnmpCommunity):
        return {
            "snmp_version": snmp.version,
            "snmp_port": snmp.port,
            "snmp_username": None,
            "snmp_auth_protocol": None,
            "snmp_privacy_protocol": None,
            "snmp_secrets": sealer.seal({"community": snmp.community}),
        }
    secrets = {"auth_key": snmp.auth_key}
    if snmp.privacy_key:
        secrets["privacy_key"] = snmp.privacy_key
    return {
        "snmp_version": snmp.version,
        "snmp_port": snmp.port,
        "snmp_username": snmp.username,
        "snmp_auth_protocol": snmp.auth_protocol,
        "snmp_privacy_protocol": snmp.privacy_protocol,
        "snmp_secrets": sealer.seal(secrets),
    }


def record(device: Device) -> DeviceRecord:
    return DeviceRecord(
        device_id=device.id,
        name=device.name,
        vendor=device.vendor,
        model=device.model,
        role=device.role,
        management_ip=str(device.management_ip),
        site=device.site,
        snmp=SnmpAccess(
            version=device.snmp_version,  # type: ignore[arg-type]
            port=device.snmp_port,
            username=device.snmp_username,
            auth_protocol=device.snmp_auth_protocol,
            privacy_protocol=device.snmp_privacy_protocol,
            sealed_secrets=device.snmp_secrets,
        ),
    )


async def add_device(
    session: AsyncSession,
    outbox: Outbox,
    sealer: Sealer,
    tenant_id: UUID,
    spec: DeviceCreate,
    *,
    now: datetime,
) -> Device:
    await _check_address_free(session, str(spec.management_ip))
    device = Device(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        name=spec.name,
        vendor=spec.vendor,
        model=spec.model,
        role=spec.role.value,
        management_ip=str(spec.management_ip),
        site=spec.site,
        **snmp_columns(spec.snmp, sealer),
        created_at=now,
        updated_at=now,
    )
    session.add(device)
    await _flush(session, device.management_ip)
    await outbox.add(
        session, DeviceRegistered(isp_id=tenant_id, device=record(device), registered_at=now)
    )
    return device


async def get_device(session: AsyncSession, device_id: UUID) -> Device:
    device = await repository.get(session, device_id)
    if device is None:
        raise NotFound(f"No device {device_id} at this ISP.")
    return device


async def update_device(
    session: AsyncSession,
    outbox: Outbox,
    sealer: Sealer,
    device_id: UUID,
    change: DeviceUpdate,
    *,
    now: datetime,
) -> Device:
    device = await get_device(session, device_id)
    fields = change.model_fields_set
    values: dict[str, Any] = {}
    for field in fields - {"snmp"}:
        value = getattr(change, field)
        values[field] = value.value if isinstance(value, DeviceRole) else str(value)
    if change.snmp is not None:
        values.update(snmp_columns(change.snmp, sealer))
    if "management_ip" in values and values["management_ip"] != str(device.management_ip):
        await _check_address_free(session, values["management_ip"])
    before = record(device)
    for field, value in values.items():
        setattr(device, field, value)
    if record(device) != before:
        device.updated_at = now
        await _flush(session, device.management_ip)
        await outbox.add(
            session, DeviceChanged(isp_id=device.tenant_id, device=record(device), changed_at=now)
        )
    return device


async def remove_device(
    session: AsyncSession, outbox: Outbox, device_id: UUID, *, now: datetime
) -> None:
    device = await get_device(session, device_id)
    await repository.delete_device(session, device_id)
    await outbox.add(
        session, DeviceRemoved(isp_id=device.tenant_id, device_id=device_id, removed_at=now)
    )


search = repository.search


async def _check_address_free(session: AsyncSession, address: str) -> None:
    clash = await repository.managed_at(session, address)
    if clash:
        raise Conflict(f"Device {clash} is already managed at {address}.", device_id=clash)


async def _flush(session: AsyncSession, address: str) -> None:
    try:
        await session.flush()
    except IntegrityError:  # another request took the address at the same moment
        raise Conflict(f"Another device is already managed at {address}.") from None
