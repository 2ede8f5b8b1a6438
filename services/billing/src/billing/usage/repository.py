"""Usage's SQL: each ISP's customer count per day."""

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from billing.models import UsageDay

RECORD_DAYS = text(
    """
    INSERT INTO billing.usage_days (isp_id, day, customers, recorded_at)
    SELECT isp_id, (recorded_at AT TIME ZONE 'UTC')::date, customers, recorded_at
    FROM unnest(CAST(:isp_ids AS uuid[]), CAST(:customers AS int[]),
                CAST(:recorded_at AS timestamptz[])) AS c(isp_id, customers, recorded_at)
    ON CONFLICT (isp_id, day) DO UPDATE
    SET customers = greatest(usage_days.customers, excluded.customers),
        recorded_at = excluded.recorded_at
    """
)


async def record_days(session: AsyncSession, counts: Sequence[tuple[UUID, int, datetime]]) -> None:
    """Keep each day's highest count, for many ISPs (one count each) in one statement; the
    day is the count's, in UTC."""
    await session.execute(
        RECORD_DAYS,
        {
            "isp_ids": [isp_id for isp_id, _, _ in counts],
            "customers": [customers for _, customers, _ in counts],
            "recorded_at": [at for _, _, at in counts],
        },
    )


async def days(session: AsyncSession, isp_id: UUID) -> list[UsageDay]:
    found = await session.execute(
        select(UsageDay).where(UsageDay.isp_id == isp_id).order_by(UsageDay.day)
    )
    return list(found.scalars())
