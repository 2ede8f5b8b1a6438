from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, status
from fastapi.responses import Response

from dotmac_contracts.vocabulary import Plugin
from tenant_api.billing.plans import service
from tenant_api.billing.plans.schemas import PlanCreate, PlanPage, PlanRead, PlanStatus, PlanUpdate
from tenant_api.deps import (
    ERRORS,
    NOT_FOUND,
    Caller,
    TenantSession,
    TenantWork,
    require,
    require_plugin,
)
from tenant_api.identity.auth.roles import Permission
from tenant_api.listing import CSV_RESPONSE, PagingDep, SearchText

router = APIRouter(
    prefix="/api/v1/plans",
    tags=["plans"],
    dependencies=[require_plugin(Plugin.BASIC_BILLING)],
    responses=ERRORS,
)
Reader = Annotated[Caller, require(Permission.BILLING_READ)]
Writer = Annotated[Caller, require(Permission.BILLING_WRITE)]


def read(plan: Any) -> PlanRead:
    return PlanRead.model_validate(plan, from_attributes=True)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "A catalogue plan has that name"}},
)
async def create_plan(spec: PlanCreate, caller: Writer, work: TenantWork) -> PlanRead:
    """Add a plan to the catalogue, or (with `customer_id`) a custom package for one customer."""
    return read(await service.create_plan(work.session, caller.tenant_id, spec, now=work.now))


@router.get("", responses=CSV_RESPONSE, response_model=PlanPage)
async def list_plans(
    caller: Reader,
    session: TenantSession,
    paging: PagingDep,
    q: Annotated[SearchText | None, Query(description="any part of the name")] = None,
    status: PlanStatus | None = None,
    customer_id: UUID | None = None,
    custom: Annotated[
        bool | None, Query(description="true: custom packages only; false: the catalogue")
    ] = None,
) -> PlanPage | Response:
    """The catalogue, then custom packages; cheapest first."""
    query = service.search(q=q, status=status, customer_id=customer_id, custom=custom)
    rows, total = await paging.fetch(session, query)
    return paging.respond(paging.page(PlanPage, [read(r) for r in rows], total), "plans")


@router.get("/{plan_id}", responses=NOT_FOUND)
async def get_plan(plan_id: UUID, caller: Reader, session: TenantSession) -> PlanRead:
    return read(await service.get_plan(session, plan_id))


@router.patch(
    "/{plan_id}",
    responses={**NOT_FOUND, 409: {"description": "Its terms were sold already, or name taken"}},
)
async def update_plan(
    plan_id: UUID, change: PlanUpdate, caller: Writer, session: TenantSession
) -> PlanRead:
    return read(await service.update_plan(session, plan_id, change))


@router.post("/{plan_id}/retire", responses=NOT_FOUND)
async def retire_plan(plan_id: UUID, caller: Writer, work: TenantWork) -> PlanRead:
    """No one new can take the plan; those on it keep it."""
    return read(await service.retire_plan(work.session, plan_id, now=work.now))
