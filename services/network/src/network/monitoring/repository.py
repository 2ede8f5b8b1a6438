"""The SQL of each ISP's monitoring settings, licence and contact (network.tenants), and of a
device's own interval. Every change is NOTIFYed on TENANTS_CHANGED with the ISP's id, so every
poll process reads the ISP's devices and thresholds again."""

from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from network.inventory.repository import announce
from network.models import Device, Tenant
from servicekit.notify import notify

TENANTS_CHANGED = "network_tenants"

SETTINGS = (
    "poll_interval_s",
    "unreachable_polls",
    "utilisation_pct",
    "utilisation_minutes",
    "alert_emails",
    "alert_email_to",
)


async def keep(session: AsyncSession, tenant_id: UUID, **values: Any) -> None:
    """Set these columns of the ISP's row (made with the defaults if it has none)."""
    statement = insert(Tenant).values(tenant_id=tenant_id, **values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[Tenant.tenant_id],
            set_={k: statement.excluded[k] for k in values},
        )
        if values
        else statement.on_conflict_do_nothing()
    )
    await notify(session, TENANTS_CHANGED, str(tenant_id))


async def tenant(connection: AsyncConnection | AsyncSession, tenant_id: UUID) -> Any | None:
    return (
        await connection.execute(select(Tenant.__table__).where(Tenant.tenant_id == tenant_id))
    ).first()


async def tenants(connection: AsyncConnection, tenant_id: UUID | None = None) -> list[Any]:
    statement = select(Tenant.__table__)
    if tenant_id is not None:
        statement = statement.where(Tenant.tenant_id == tenant_id)
    return list((await connection.execute(statement)).all())


async def set_device_interval(
    session: AsyncSession, tenant_id: UUID, device_id: UUID, interval_s: int | None
) -> bool:
    """The device's own interval (None: its ISP's); False if the ISP has no such device."""
    changed = await session.execute(
        update(Device)
        .where(Device.device_id == device_id, Device.tenant_id == tenant_id)
        .values(poll_interval_s=interval_s)
        .returning(Device.device_id)
    )
    if changed.first() is None:
        return False
    await announce(session, device_id)
    return True
