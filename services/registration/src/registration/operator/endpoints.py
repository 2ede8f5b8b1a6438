"""The operator's listing of ISPs: `/api/v1/registration/operator/...` with the operator
token (an ISP's sign-in is refused). Read only."""

from collections.abc import Callable
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from dotmac_contracts.vocabulary import DeploymentState, Region, Tier
from registration.operator import service
from registration.operator.schemas import IspList, IspSummary
from servicekit.http import RuntimeDep


def operator_router(operator: Callable[..., None]) -> APIRouter:
    router = APIRouter(
        prefix="/api/v1/registration/operator",
        tags=["operator"],
        dependencies=[Depends(operator)],
        responses={401: {"description": "Without the operator token"}},
    )

    @router.get("/isps")
    async def list_isps(
        runtime: RuntimeDep,
        state: DeploymentState | None = None,
        tier: Tier | None = None,
        region: Region | None = None,
        q: Annotated[
            str | None,
            Query(
                max_length=200,
                pattern=r"^[^\x00]*$",
                description="Part of the company name or slug",
            ),
        ] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> IspList:
        """Every ISP signed up, the newest first, filtered by its deployment's state, its tier,
        its region and a search of its name and slug; with the counts of all of them by state,
        tier and region."""
        async with runtime.db.reading() as connection:
            return await service.list_isps(
                connection,
                state=state,
                tier=tier,
                region=region,
                search=q,
                limit=limit,
                offset=offset,
            )

    @router.get("/isps/{isp_id}", responses={404: {"description": "No ISP with this id"}})
    async def one_isp(isp_id: UUID, runtime: RuntimeDep) -> IspSummary:
        """One ISP: its names, tier, region and where its deployment stands."""
        async with runtime.db.reading() as connection:
            return await service.one_isp(connection, isp_id)

    return router
