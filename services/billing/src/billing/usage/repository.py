"""Usage's SQL: each ISP's customer count per day."""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing.models import UsageDay
from servicekit.db import table_of


async def record_day(
    session: AsyncSession, isp_id: UUID, day: date, customers: int, at: datetime
) -> None:
    """Keep the day's highest count."""
    table = table_of(UsageDay)
    statement = insert(table).values(isp_id=isp_id, day=day, customers=customers, recorded_at=at)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.isp_id, table.c.day],
            set_={
                "customers": func.greatest(table.c.customers, statement.excluded.customers),
                "recorded_at": statement.excluded.recorded_at,
            },
        )
    )


async def days(session: AsyncSession, isp_id: UUID) -> list[UsageDay]:
    found = await session.execute(
        select(UsageDay).where(UsageDay.isp_id == isp_id).order_by(UsageDay.day)
    )
    return list(found.scalars())
