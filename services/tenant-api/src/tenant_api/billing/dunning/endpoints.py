"""Dunning (automated_billing): its settings, each customer's "never suspend", a pass run now
(or dry), and what dunning did."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response

from dotmac_contracts.vocabulary import Plugin
from tenant_api.billing.dunning import service
from tenant_api.billing.dunning.schemas import (
    ActionKind,
    ActionPage,
    CustomerDunningRead,
    CustomerDunningUpdate,
    DunningPassCreate,
    DunningPassResult,
    DunningSettingsRead,
    DunningSettingsUpdate,
)
from tenant_api.deps import (
    ERRORS,
    NOT_FOUND,
    Caller,
    TenantApiDep,
    TenantSession,
    TenantWork,
    require,
    require_plugin,
)
from tenant_api.identity.auth.roles import Permission
from tenant_api.listing import CSV_RESPONSE, PagingDep

router = APIRouter(
    tags=["dunning"], dependencies=[require_plugin(Plugin.AUTOMATED_BILLING)], responses=ERRORS
)
Reader = Annotated[Caller, require(Permission.BILLING_READ)]
Writer = Annotated[Caller, require(Permission.BILLING_WRITE)]


@router.get("/api/v1/billing/dunning/settings")
async def get_dunning_settings(caller: Reader, session: TenantSession) -> DunningSettingsRead:
    """The ISP's dunning: reminder schedule, late fee, grace days, suspension (off until set)."""
    return await service.read_settings(session, caller.tenant_id)


@router.put("/api/v1/billing/dunning/settings")
async def put_dunning_settings(
    change: DunningSettingsUpdate, caller: Writer, work: TenantWork
) -> DunningSettingsRead:
    """Set the reminder schedule (days from the due date), the late fee (fixed or a percent of
    the invoice's balance, charged once per invoice after the due date plus the grace days,
    never when the customer's credit covers what is overdue) and after how many days overdue
    a customer is suspended (null: never). Enabled, the pass runs daily."""
    return await service.update_settings(work.session, caller.tenant_id, change, work.now)


@router.post("/api/v1/billing/dunning/runs", responses={409: {"description": "Not set up"}})
async def run_dunning(
    spec: DunningPassCreate, caller: Writer, work: TenantWork, tenant_api: TenantApiDep
) -> DunningPassResult:
    """Run today's dunning pass now (`dry_run`: only show what it would do). What the daily
    pass did already is not done again."""
    return await service.run_pass(work, tenant_api.mailer, dry_run=spec.dry_run)


@router.get("/api/v1/billing/dunning/actions", responses=CSV_RESPONSE, response_model=ActionPage)
async def list_dunning_actions(
    caller: Reader,
    session: TenantSession,
    paging: PagingDep,
    customer_id: UUID | None = None,
    invoice_id: UUID | None = None,
    kind: ActionKind | None = None,
) -> ActionPage | Response:
    """What dunning did, newest first: reminders mailed, late fees, suspensions and
    reactivations."""
    query = service.search(
        customer_id=customer_id, invoice_id=invoice_id, kind=kind.value if kind else None
    )
    rows, total = await paging.fetch(session, query)
    page = paging.page(ActionPage, [service.action_read(r) for r in rows], total)
    return paging.respond(page, "dunning-actions")


@router.get("/api/v1/customers/{customer_id}/dunning", responses=NOT_FOUND)
async def get_customer_dunning(
    customer_id: UUID, caller: Reader, session: TenantSession
) -> CustomerDunningRead:
    return await service.customer_dunning(session, customer_id)


@router.put("/api/v1/customers/{customer_id}/dunning", responses=NOT_FOUND)
async def put_customer_dunning(
    customer_id: UUID, change: CustomerDunningUpdate, caller: Writer, work: TenantWork
) -> CustomerDunningRead:
    """Whether dunning may suspend the customer (it still reminds and charges late fees)."""
    return await service.update_customer_dunning(
        work.session, caller.tenant_id, customer_id, change, work.now
    )
