"""Devices' SQL: the ISP's network inventory."""

from typing import Any
from uuid import UUID

from sqlalchemy import Select, cast, delete, func, select
from sqlalchemy.dialects.postgresql import INET
from sqlalchemy.ext.asyncio import AsyncSession

from tenant_api.devices.schemas import DeviceRole
from tenant_api.listing import contains
from tenant_api.models import Device


async def get(session: AsyncSession, device_id: UUID) -> Device | None:
    return await session.get(Device, device_id)


async def managed_at(session: AsyncSession, address: str) -> UUID | None:
    """The device managed at this IP address, if there is one."""
    return await session.scalar(
        select(Device.id).where(Device.management_ip == cast(address, INET))
    )


async def delete_device(session: AsyncSession, device_id: UUID) -> None:
    await session.execute(delete(Device).where(Device.id == device_id))


def search(
    *,
    q: str | None = None,
    site: str | None = None,
    vendor: str | None = None,
    role: DeviceRole | None = None,
) -> Select[Any]:
    """The devices matching every filter given, by site and name. `q` matches any part of the
    name or the management address."""
    query = select(Device)
    if q:
        query = query.where(contains(Device.name, q) | contains(func.host(Device.management_ip), q))
    if site:
        query = query.where(Device.site == site)
    if vendor:
        query = query.where(Device.vendor == vendor)
    if role:
        query = query.where(Device.role == role.value)
    return query.order_by(Device.site, Device.name, Device.id)
