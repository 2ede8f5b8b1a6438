"""Licences' SQL: the licence each ISP holds, and its customer count as last reported."""

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from licensing.models import CustomerCount, Licence


async def insert_unless_held(
    session: AsyncSession,
    *,
    licence_id: UUID,
    isp_id: UUID,
    tier: str,
    plugins: list[str],
    customer_cap: int | None,
    api_rate_per_minute: int | None,
    status: str,
    issued_at: datetime,
    expires_at: datetime,
    token: str,
) -> bool:
    """Store the ISP's licence unless it holds one already. True if stored."""
    inserted = await session.execute(
        insert(Licence)
        .values(
            id=licence_id,
            isp_id=isp_id,
            tier=tier,
            plugins=plugins,
            customer_cap=customer_cap,
            api_rate_per_minute=api_rate_per_minute,
            status=status,
            issued_at=issued_at,
            expires_at=expires_at,
            token=token,
        )
        .on_conflict_do_nothing(index_elements=[Licence.isp_id])
        .returning(Licence.id)
    )
    return inserted.first() is not None


async def of_isp(
    session: AsyncSession, isp_id: UUID, *, for_update: bool = False
) -> Licence | None:
    """The ISP's licence, if it holds one; `for_update` locks it until the transaction ends."""
    query = select(Licence).where(Licence.isp_id == isp_id)
    return (
        await session.execute(query.with_for_update() if for_update else query)
    ).scalar_one_or_none()


async def customers_of(session: AsyncSession, isp_id: UUID) -> int | None:
    """The ISP's customer count as last reported; None if it never was."""
    counted = await session.get(CustomerCount, isp_id)
    return counted.customers if counted else None


RECORD_COUNTS = text(
    """
    INSERT INTO licensing.customer_counts (isp_id, customers, counted_at)
    SELECT * FROM unnest(CAST(:isp_ids AS uuid[]), CAST(:customers AS int[]),
                         CAST(:counted_at AS timestamptz[]))
    ON CONFLICT (isp_id) DO UPDATE
    SET customers = excluded.customers, counted_at = excluded.counted_at
    WHERE customer_counts.counted_at <= excluded.counted_at
    """
)


async def record_customer_counts(
    session: AsyncSession, counts: Sequence[tuple[UUID, int, datetime]]
) -> None:
    """Keep each ISP's count (one each), unless the one kept was counted later."""
    await session.execute(
        RECORD_COUNTS,
        {
            "isp_ids": [isp_id for isp_id, _, _ in counts],
            "customers": [customers for _, customers, _ in counts],
            "counted_at": [at for _, _, at in counts],
        },
    )
