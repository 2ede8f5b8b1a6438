"""Vacation holds: days a customer, or one of its subscriptions, is not billed."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, status
from fastapi.responses import Response

from dotmac_contracts.vocabulary import Plugin
from tenant_api.billing.holds import service
from tenant_api.billing.holds.schemas import HoldCreate, HoldList, HoldRead
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
from tenant_api.listing import CSV_RESPONSE, ExportDep

router = APIRouter(
    tags=["billing holds"],
    dependencies=[require_plugin(Plugin.AUTOMATED_BILLING)],
    responses=ERRORS,
)
Reader = Annotated[Caller, require(Permission.BILLING_READ)]
Writer = Annotated[Caller, require(Permission.BILLING_WRITE)]


@router.post(
    "/api/v1/customers/{customer_id}/holds",
    status_code=status.HTTP_201_CREATED,
    responses=NOT_FOUND,
)
async def place_hold(
    customer_id: UUID, spec: HoldCreate, caller: Writer, work: TenantWork
) -> HoldRead:
    """Stop billing the customer (or one subscription) from `starts_on` until `ends_on`:
    bill runs leave those days out, by the day."""
    hold = await service.place(
        work.session, caller.tenant_id, customer_id, spec, by=caller.reference, now=work.now
    )
    return HoldRead.model_validate(hold, from_attributes=True)


@router.get(
    "/api/v1/customers/{customer_id}/holds",
    responses={**NOT_FOUND, **CSV_RESPONSE},
    response_model=HoldList,
)
async def list_holds(
    customer_id: UUID, caller: Reader, session: TenantSession, export: ExportDep
) -> HoldList | Response:
    """The customer's holds (all of them as CSV with `Accept: text/csv`)."""
    found = await service.holds(session, customer_id)
    listed = HoldList(holds=[HoldRead.model_validate(h, from_attributes=True) for h in found])
    return export.respond(listed, listed.holds, "holds")


@router.delete(
    "/api/v1/billing-holds/{hold_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=NOT_FOUND,
)
async def lift_hold(hold_id: UUID, caller: Writer, session: TenantSession) -> None:
    """Remove a hold: runs made from now on bill its days."""
    await service.lift(session, hold_id)
