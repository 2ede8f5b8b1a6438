"""Offboarding's SQL: every row of the ISP's data, for its archive, and the archives made."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Column, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

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
