"""The SQL of network's copy of the device inventory."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from dotmac_contracts.events.tenant import DeviceRecord
from network.models import Device
from servicekit.notify import notify

CHANGED = "network_devices"
"""NOTIFYed with a device id when its row changes: pollers in every process follow."""


async def keep(session: AsyncSession, tenant_id: UUID, record: DeviceRecord, at: datetime) -> None:
    """The device as `record` says, unless a newer event already said otherwise."""
    values = {
        "device_id": record.device_id,
        "tenant_id": tenant_id,
        "name": record.name,
        "management_ip": record.management_ip,
        "snmp_version": record.snmp.version,
        "snmp_port": record.snmp.port,
        "snmp_username": record.snmp.username,
        "snmp_auth_protocol": record.snmp.auth_protocol,
        "snmp_privacy_protocol": record.snmp.privacy_protocol,
        "sealed_secrets": record.snmp.sealed_secrets,
        "changed_at": at,
    }
    statement = insert(Device).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[Device.device_id],
            set_={k: statement.excluded[k] for k in values if k != "device_id"},
            where=Device.changed_at <= statement.excluded.changed_at,
        )
    )
    await announce(session, record.device_id)


async def drop(session: AsyncSession, device_id: UUID) -> None:
    await session.execute(delete(Device).where(Device.device_id == device_id))
    await announce(session, device_id)


async def announce(session: AsyncSession, device_id: UUID) -> None:
    await notify(session, CHANGED, str(device_id))


async def devices(
    connection: AsyncConnection, device_id: UUID | None = None, tenant_id: UUID | None = None
) -> list[Any]:
    statement = select(Device.__table__)
    if device_id is not None:
        statement = statement.where(Device.device_id == device_id)
    if tenant_id is not None:
        statement = statement.where(Device.tenant_id == tenant_id)
    return list((await connection.execute(statement)).all())
