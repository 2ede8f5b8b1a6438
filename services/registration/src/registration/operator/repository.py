"""The operator's listing's SQL: ISPs joined with their deployment's read model."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Row, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from registration.models import Deployment, Isp

_COLUMNS = (
    Isp.id.label("isp_id"),
    Isp.slug,
    Isp.company_name,
    Isp.domain,
    Isp.tier,
    Isp.region,
    Deployment.state,
    Deployment.provider,
    Deployment.workflow_id,
    Isp.registered_at,
    Deployment.updated_at,
)


def _joined(*columns: Any) -> Select[Any]:
    return select(*columns).select_from(Isp).join(Deployment, Deployment.isp_id == Isp.id)


def _conditions(
    state: str | None, tier: str | None, region: str | None, search: str | None
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if state is not None:
        conditions.append(Deployment.state == state)
    if tier is not None:
        conditions.append(Isp.tier == tier)
    if region is not None:
        conditions.append(Isp.region == region)
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(
            or_(Isp.company_name.ilike(pattern, escape="\\"), Isp.slug.ilike(pattern, escape="\\"))
        )
    return conditions


async def page_of_isps(
    connection: AsyncConnection,
    *,
    state: str | None,
    tier: str | None,
    region: str | None,
    search: str | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[Row[Any]], int]:
    """One page of the ISPs matching the filters (the newest first), and how many match."""
    where = _conditions(state, tier, region, search)
    rows = (
        await connection.execute(
            _joined(*_COLUMNS)
            .where(*where)
            .order_by(Isp.registered_at.desc(), Isp.id)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    total = (await connection.execute(_joined(func.count()).where(*where))).scalar_one()
    return rows, int(total)


async def counts(connection: AsyncConnection) -> dict[str, dict[str, int]]:
    """Every ISP counted by its deployment's state, its tier and its region."""
    answer: dict[str, dict[str, int]] = {}
    for name, column in (("state", Deployment.state), ("tier", Isp.tier), ("region", Isp.region)):
        rows = await connection.execute(_joined(column, func.count()).group_by(column))
        answer[name] = {str(value): int(n) for value, n in rows}
    return answer


async def one_isp(connection: AsyncConnection, isp_id: UUID) -> Row[Any] | None:
    return (await connection.execute(_joined(*_COLUMNS).where(Isp.id == isp_id))).first()
