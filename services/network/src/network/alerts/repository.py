"""The SQL of alerts: raised, flapping, clearing and cleared by the watch; listed, read and
acknowledged by the ISP's people."""

from datetime import datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import Table, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from network.models import Alert

A = cast(Table, Alert.__table__)


async def open_alerts(connection: AsyncConnection) -> list[Any]:
    return list((await connection.execute(select(A).where(A.c.cleared_at.is_(None)))).all())


async def raise_alert(session: AsyncSession, **values: Any) -> None:
    await session.execute(A.insert().values(**values))


async def came_back(session: AsyncSession, alert_id: UUID, at: datetime) -> int:
    """The condition is back before the alert cleared: one more occurrence, no new alert."""
    row = (
        await session.execute(
            update(A)
            .where(A.c.alert_id == alert_id)
            .values(occurrences=A.c.occurrences + 1, clearing_since=None, last_raised_at=at)
            .returning(A.c.occurrences)
        )
    ).first()
    return int(row.occurrences) if row else 0


async def clearing(session: AsyncSession, alert_id: UUID, at: datetime) -> None:
    await session.execute(update(A).where(A.c.alert_id == alert_id).values(clearing_since=at))


async def clear(session: AsyncSession, alert_id: UUID, at: datetime) -> Any | None:
    return (
        await session.execute(
            update(A)
            .where(A.c.alert_id == alert_id, A.c.cleared_at.is_(None))
            .values(cleared_at=at)
            .returning(A)
        )
    ).first()


async def alerts(
    connection: AsyncConnection,
    tenant_id: UUID,
    *,
    state: str,
    device_id: UUID | None,
    kind: str | None,
    limit: int,
    before: tuple[datetime, UUID] | None,
) -> list[Any]:
    """The ISP's alerts, newest first; `before`: the (raised_at, alert_id) of the last one of
    the page before."""
    statement = select(A).where(A.c.tenant_id == tenant_id)
    if state == "open":
        statement = statement.where(A.c.cleared_at.is_(None))
    elif state == "cleared":
        statement = statement.where(A.c.cleared_at.is_not(None))
    if device_id is not None:
        statement = statement.where(A.c.device_id == device_id)
    if kind is not None:
        statement = statement.where(A.c.kind == kind)
    if before is not None:
        at, alert_id = before
        statement = statement.where(
            or_(A.c.raised_at < at, and_(A.c.raised_at == at, A.c.alert_id < alert_id))
        )
    statement = statement.order_by(A.c.raised_at.desc(), A.c.alert_id.desc()).limit(limit)
    return list((await connection.execute(statement)).all())


async def alert(connection: AsyncConnection | AsyncSession, tenant_id: UUID, alert_id: UUID) -> Any:
    return (
        await connection.execute(
            select(A).where(A.c.tenant_id == tenant_id, A.c.alert_id == alert_id)
        )
    ).first()


async def acknowledge(
    session: AsyncSession, tenant_id: UUID, alert_id: UUID, by: str, at: datetime
) -> Any | None:
    """Mark it seen by `by` (once: a second acknowledgement keeps the first)."""
    await session.execute(
        update(A)
        .where(
            A.c.tenant_id == tenant_id,
            A.c.alert_id == alert_id,
            A.c.acknowledged_at.is_(None),
        )
        .values(acknowledged_at=at, acknowledged_by=by)
    )
    return await alert(session, tenant_id, alert_id)
