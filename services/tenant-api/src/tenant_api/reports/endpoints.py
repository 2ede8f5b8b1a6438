from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from dotmac_contracts.vocabulary import Plugin
from servicekit.problems import UnprocessableContent
from tenant_api.deps import ERRORS, Caller, TenantSession, require, require_plugin
from tenant_api.identity.auth.roles import Permission
from tenant_api.listing import CSV_RESPONSE, csv_response, wants_csv
from tenant_api.reports import service

router = APIRouter(prefix="/api/v1/reports", tags=["reports"], responses=ERRORS)
Basic = [require_plugin(Plugin.BASIC_REPORTING)]
Advanced = [require_plugin(Plugin.ADVANCED_REPORTING)]
CustomersReader = Annotated[Caller, require(Permission.CUSTOMERS_READ)]
BillingReader = Annotated[Caller, require(Permission.BILLING_READ)]
TicketsReader = Annotated[Caller, require(Permission.TICKETS_READ)]
Months = Annotated[int, Query(ge=1, le=60, description="how many months, this one included")]


class StatusCounts(BaseModel):
    month: date
    at: datetime = Field(description="the moment counted: the month's end, or now")
    lead: int
    active: int
    suspended: int
    cancelled: int


class CustomersByStatus(BaseModel):
    months: list[StatusCounts]


class PlanRevenue(BaseModel):
    plan_id: UUID
    plan: str
    custom: bool
    billing_cycle: str
    price: Decimal
    subscribers: int
    mrr: Decimal


class MrrByPlan(BaseModel):
    on: date
    currency_note: str = "amounts are in each plan's own currency"
    plans: list[PlanRevenue]
    total_mrr: Decimal
    subscribers: int


class ChurnMonth(BaseModel):
    month: date
    active_at_start: int
    cancelled: int
    churn_rate: float | None = Field(description="cancelled / active at start; null if none")
    new_active: int


class Churn(BaseModel):
    months: list[ChurnMonth]


class Resolution(BaseModel):
    priority: str
    resolved: int
    median_hours: float | None
    p90_hours: float | None
    within_sla: int | None
    within_sla_rate: float | None


class TicketResolution(BaseModel):
    since: date
    until: date
    priorities: list[Resolution]


def _answer(request: Request, report: BaseModel, rows: Sequence[BaseModel], name: str) -> Any:
    if wants_csv(request):
        return csv_response(rows, name)
    return report


@router.get(
    "/customers-by-status",
    dependencies=Basic,
    responses=CSV_RESPONSE,
    response_model=CustomersByStatus,
)
async def customers_by_status(
    caller: CustomersReader, session: TenantSession, request: Request, months: Months = 12
) -> CustomersByStatus | Response:
    """Customers in each status at the end of each month."""
    now = datetime.now(UTC)
    found = await service.customers_by_status(session, today=now.date(), months=months, now=now)
    rows = [StatusCounts.model_validate(r, from_attributes=True) for r in found]
    return _answer(request, CustomersByStatus(months=rows), rows, "customers-by-status")


@router.get("/mrr-by-plan", dependencies=Basic, responses=CSV_RESPONSE, response_model=MrrByPlan)
async def mrr_by_plan(
    caller: BillingReader,
    session: TenantSession,
    request: Request,
    on: Annotated[date | None, Query(description="the day; default today")] = None,
) -> MrrByPlan | Response:
    """Monthly recurring revenue by plan: subscribers on each, times its price per month."""
    day = on or datetime.now(UTC).date()
    found = await service.mrr_by_plan(session, on=day)
    rows = [PlanRevenue.model_validate(r, from_attributes=True) for r in found]
    report = MrrByPlan(
        on=day,
        plans=rows,
        total_mrr=sum((r.mrr for r in rows), Decimal("0.00")),
        subscribers=sum(r.subscribers for r in rows),
    )
    return _answer(request, report, rows, "mrr-by-plan")


@router.get("/churn", dependencies=Advanced, responses=CSV_RESPONSE, response_model=Churn)
async def churn(
    caller: CustomersReader, session: TenantSession, request: Request, months: Months = 12
) -> Churn | Response:
    """Each month's churn: paying customers at its start who cancelled during it."""
    now = datetime.now(UTC)
    found = await service.churn(session, today=now.date(), months=months, now=now)
    rows = [ChurnMonth.model_validate(r, from_attributes=True) for r in found]
    return _answer(request, Churn(months=rows), rows, "churn")


@router.get(
    "/ticket-resolution",
    dependencies=Advanced,
    responses=CSV_RESPONSE,
    response_model=TicketResolution,
)
async def ticket_resolution(
    caller: TicketsReader,
    session: TenantSession,
    request: Request,
    since: Annotated[date | None, Query(description="first day; default 90 days ago")] = None,
    until: Annotated[date | None, Query(description="last day; default today")] = None,
) -> TicketResolution | Response:
    """How long tickets resolved in the period took, by priority, and how many met their SLA."""
    today = datetime.now(UTC).date()
    last = until or today
    first = since or last - timedelta(days=89)
    if first > last or (last - first).days > 3660:
        raise UnprocessableContent("since must be on or before until, at most ten years apart.")
    found = await service.ticket_resolution(
        session,
        since=datetime(first.year, first.month, first.day, tzinfo=UTC),
        until=datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1),
    )
    rows = [Resolution.model_validate(r, from_attributes=True) for r in found]
    report = TicketResolution(since=first, until=last, priorities=rows)
    return _answer(request, report, rows, "ticket-resolution")
