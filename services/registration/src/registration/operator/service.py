"""The operator's listing of ISPs."""

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from dotmac_contracts.vocabulary import DeploymentState, Region, Tier
from registration.operator import repository
from registration.operator.schemas import IspCounts, IspList, IspSummary
from servicekit.problems import NotFound


async def list_isps(
    connection: AsyncConnection,
    *,
    state: DeploymentState | None = None,
    tier: Tier | None = None,
    region: Region | None = None,
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> IspList:
    rows, total = await repository.page_of_isps(
        connection,
        state=state.value if state else None,
        tier=tier.value if tier else None,
        region=region.value if region else None,
        search=(search or "").strip() or None,
        limit=limit,
        offset=offset,
    )
    counted = await repository.counts(connection)
    return IspList(
        items=[IspSummary.model_validate(row._mapping) for row in rows],
        total=total,
        counts=IspCounts(
            by_state=counted["state"], by_tier=counted["tier"], by_region=counted["region"]
        ),
    )


async def one_isp(connection: AsyncConnection, isp_id: UUID) -> IspSummary:
    row = await repository.one_isp(connection, isp_id)
    if row is None:
        raise NotFound(f"No ISP with id {isp_id} is registered.")
    return IspSummary.model_validate(row._mapping)
