"""The SQL of interface rollups: added to as readings come, read by the history API, and
forgotten past their retention."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from network.models import InterfaceRollup

RESOLUTIONS = {300: 7, 3600: 90}
"""Bucket length in seconds -> days it is kept."""

ADD = text(
    """
    INSERT INTO network.interface_rollups AS r
        (device_id, if_index, resolution_s, bucket_start, tenant_id, name, samples,
         in_bps_sum, in_bps_max, out_bps_sum, out_bps_max)
    VALUES (:device_id, :if_index, CAST(:resolution_s AS integer),
            to_timestamp(floor(extract(epoch FROM CAST(:at AS timestamptz))
                               / CAST(:resolution_s AS integer))
                         * CAST(:resolution_s AS integer)),
            :tenant_id, :name, 1,
            CAST(:in_bps AS double precision), CAST(:in_bps AS double precision),
            CAST(:out_bps AS double precision), CAST(:out_bps AS double precision))
    ON CONFLICT (device_id, if_index, resolution_s, bucket_start) DO UPDATE SET
        samples = r.samples + 1,
        name = EXCLUDED.name,
        in_bps_sum = r.in_bps_sum + EXCLUDED.in_bps_sum,
        in_bps_max = greatest(r.in_bps_max, EXCLUDED.in_bps_max),
        out_bps_sum = r.out_bps_sum + EXCLUDED.out_bps_sum,
        out_bps_max = greatest(r.out_bps_max, EXCLUDED.out_bps_max)
    """
)


async def add(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """One reading's rates into every resolution's bucket (`rows`: one per interface)."""
    if rows:
        await session.execute(
            ADD, [{**row, "resolution_s": r} for row in rows for r in RESOLUTIONS]
        )


async def history(
    connection: AsyncConnection,
    device_id: UUID,
    resolution_s: int,
    since: datetime,
    until: datetime,
) -> list[Any]:
    rollup = InterfaceRollup
    return list(
        (
            await connection.execute(
                select(rollup.__table__)
                .where(
                    rollup.device_id == device_id,
                    rollup.resolution_s == resolution_s,
                    rollup.bucket_start >= since,
                    rollup.bucket_start < until,
                )
                .order_by(rollup.if_index, rollup.bucket_start)
            )
        ).all()
    )


async def forget(session: AsyncSession) -> int:
    gone = 0
    for resolution_s, days in RESOLUTIONS.items():
        result = await session.execute(
            delete(InterfaceRollup).where(
                InterfaceRollup.resolution_s == resolution_s,
                InterfaceRollup.bucket_start < text(f"now() - interval '{int(days)} days'"),
            )
        )
        gone += int(getattr(result, "rowcount", 0))
    return gone
