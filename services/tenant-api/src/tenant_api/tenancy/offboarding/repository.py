"""Offboarding's SQL: every row of the ISP's data, for its archive, and the archives made."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Column, Table, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from tenant_api.models import DataExport


async def rows(
    session: AsyncSession, table: Table, columns: Sequence[Column[Any]]
) -> list[dict[str, Any]]:
    """Every row of `table` the session sees (the tenant's, under row-level security), as
    `columns` only, in primary key order."""
    found = await session.execute(select(*columns).order_by(*table.primary_key.columns))
    return [dict(row._mapping) for row in found]


async def get_export(session: AsyncSession, export_id: UUID) -> DataExport | None:
    return await session.get(DataExport, export_id)


async def exports(session: AsyncSession, tenant_id: UUID) -> Sequence[DataExport]:
    """The tenant's archives, newest first, without their content."""
    found = await session.execute(
        select(DataExport)
        .where(DataExport.tenant_id == tenant_id)
        .options(defer(DataExport.content))
        .order_by(DataExport.created_at.desc())
    )
    return found.scalars().all()


async def export_since(
    session: AsyncSession, tenant_id: UUID, since: datetime
) -> DataExport | None:
    found = await session.execute(
        select(DataExport)
        .where(DataExport.tenant_id == tenant_id, DataExport.created_at >= since)
        .options(defer(DataExport.content))
        .order_by(DataExport.created_at.desc())
        .limit(1)
    )
    return found.scalar_one_or_none()
