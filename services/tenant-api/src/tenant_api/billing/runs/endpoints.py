"""Bill runs (automated_billing): a period's invoices for every customer at once."""

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, status
from fastapi.responses import Response

from dotmac_contracts.vocabulary import Plugin
from tenant_api.billing.runs import service
from tenant_api.billing.runs.schemas import BillRunCreate, BillRunPage, BillRunRead, BillRunResult
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
from tenant_api.listing import CSV_RESPONSE, PagingDep

router = APIRouter(
    prefix="/api/v1/bill-runs",
    tags=["bill runs"],
    dependencies=[require_plugin(Plugin.AUTOMATED_BILLING)],
    responses=ERRORS,
)
Reader = Annotated[Caller, require(Permission.BILLING_READ)]
Writer = Annotated[Caller, require(Permission.BILLING_WRITE)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "The period has not ended yet"}},
)
async def run_bills(spec: BillRunCreate, caller: Writer, work: TenantWork) -> BillRunResult:
    """Invoice a period that has ended: one invoice per customer with billable days, all its
    subscriptions on it, prorated by the day; days on hold or suspended are left out. A
    customer invoiced for the period already is not invoiced again, so a run may be repeated.
    With `dry_run`, nothing changes: the answer shows what a run would invoice now and how
    that differs from the period's invoices made already."""
    bill_run, differences = await service.run(work, spec, by=caller.reference)
    return BillRunResult(
        **BillRunRead.model_validate(bill_run, from_attributes=True).model_dump(),
        differences=differences,
    )


@router.get("", responses=CSV_RESPONSE, response_model=BillRunPage)
async def list_bill_runs(
    caller: Reader,
    session: TenantSession,
    paging: PagingDep,
    period_start: date | None = None,
    dry_run: bool | None = None,
) -> BillRunPage | Response:
    """Bill runs and dry runs, newest first."""
    rows, total = await paging.fetch(
        session, service.search(period_start=period_start, dry_run=dry_run)
    )
    items = [BillRunRead.model_validate(r, from_attributes=True) for r in rows]
    return paging.respond(paging.page(BillRunPage, items, total), "bill-runs")


@router.post(
    "/{bill_run_id}/issue",
    responses={**NOT_FOUND, 409: {"description": "A dry run: it made no invoices"}},
)
async def issue_bill_run(bill_run_id: UUID, caller: Writer, work: TenantWork) -> BillRunRead:
    """Issue the drafts of a run made with `issue: false`, once reviewed: consecutive
    numbers by account number, due after the payment terms. Drafts voided meanwhile stay
    void; a repeat issues nothing more."""
    found = await service.issue_run(work, bill_run_id)
    return BillRunRead.model_validate(found, from_attributes=True)


@router.get("/{bill_run_id}", responses=NOT_FOUND)
async def get_bill_run(bill_run_id: UUID, caller: Reader, session: TenantSession) -> BillRunRead:
    """What the run invoiced; its invoices: `GET /api/v1/invoices?bill_run_id=`."""
    found = await service.get_run(session, bill_run_id)
    return BillRunRead.model_validate(found, from_attributes=True)
