from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, status
from fastapi.responses import Response

from dotmac_contracts.vocabulary import Plugin
from tenant_api.billing.subscriptions import service
from tenant_api.billing.subscriptions.schemas import (
    Cancellation,
    PlanChange,
    PlanChanged,
    SubscriptionCreate,
    SubscriptionHistory,
    SubscriptionPage,
    SubscriptionRead,
)
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
from tenant_api.listing import CSV_RESPONSE, ExportDep, PagingDep

router = APIRouter(
    tags=["subscriptions"], dependencies=[require_plugin(Plugin.BASIC_BILLING)], responses=ERRORS
)
Reader = Annotated[Caller, require(Permission.BILLING_READ)]
Writer = Annotated[Caller, require(Permission.BILLING_WRITE)]
REFUSED: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    409: {"description": "Cancelled customer, retired plan, ended subscription, or duplicate"},
}


def read(subscription: Any) -> SubscriptionRead:
    return SubscriptionRead.model_validate(subscription, from_attributes=True)


@router.post(
    "/api/v1/customers/{customer_id}/subscriptions",
    status_code=status.HTTP_201_CREATED,
    responses=REFUSED,
)
async def subscribe(
    customer_id: UUID, spec: SubscriptionCreate, caller: Writer, work: TenantWork
) -> SubscriptionRead:
    """Put a customer on a plan (from the catalogue, or the customer's own package)."""
    subscription = await service.subscribe(
        work, customer_id, spec.plan_id, spec.starts_on, by=caller.reference
    )
    return read(subscription)


@router.get(
    "/api/v1/customers/{customer_id}/subscriptions",
    responses={**NOT_FOUND, **CSV_RESPONSE},
    response_model=SubscriptionHistory,
)
async def customer_subscriptions(
    customer_id: UUID, caller: Reader, session: TenantSession, export: ExportDep
) -> SubscriptionHistory | Response:
    """Every plan the customer has been on, oldest first (as CSV with `Accept: text/csv`)."""
    found = await service.history(session, customer_id)
    listed = SubscriptionHistory(subscriptions=[read(s) for s in found])
    return export.respond(listed, listed.subscriptions, "subscriptions")


@router.get("/api/v1/subscriptions", responses=CSV_RESPONSE, response_model=SubscriptionPage)
async def list_subscriptions(
    caller: Reader,
    session: TenantSession,
    paging: PagingDep,
    customer_id: UUID | None = None,
    plan_id: UUID | None = None,
    active_on: Annotated[date | None, Query(description="running on this day")] = None,
    open: Annotated[bool | None, Query(description="true: not ended; false: ended")] = None,
) -> SubscriptionPage | Response:
    query = service.search(
        customer_id=customer_id, plan_id=plan_id, active_on=active_on, open_only=open
    )
    rows, total = await paging.fetch(session, query)
    page = paging.page(SubscriptionPage, [read(r) for r in rows], total)
    return paging.respond(page, "subscriptions")


@router.get("/api/v1/subscriptions/{subscription_id}", responses=NOT_FOUND)
async def get_subscription(
    subscription_id: UUID, caller: Reader, session: TenantSession
) -> SubscriptionRead:
    return read(await service.get_subscription(session, subscription_id))


@router.post("/api/v1/subscriptions/{subscription_id}/change", responses=REFUSED)
async def change_plan(
    subscription_id: UUID, change: PlanChange, caller: Writer, work: TenantWork
) -> PlanChanged:
    """Move the customer to another plan on a day: this subscription ends that day, and the
    next one (returned as `started`) begins it."""
    ended, started = await service.change_plan(work, subscription_id, change, by=caller.reference)
    return PlanChanged(ended=read(ended), started=read(started))


@router.post("/api/v1/subscriptions/{subscription_id}/cancel", responses=REFUSED)
async def cancel_subscription(
    subscription_id: UUID, cancellation: Cancellation, caller: Writer, work: TenantWork
) -> SubscriptionRead:
    cancelled = await service.cancel(work, subscription_id, cancellation, by=caller.reference)
    return read(cancelled)
