from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, status
from fastapi.responses import Response

from tenant_api.automations import service
from tenant_api.automations.schemas import (
    RuleCreate,
    RulePage,
    RuleRead,
    RuleUpdate,
    RunPage,
    RunRead,
    Trigger,
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
from tenant_api.listing import CSV_RESPONSE, PagingDep

router = APIRouter(
    prefix="/api/v1/automations",
    tags=["automations"],
    dependencies=[require_plugin(service.PLUGIN)],
    responses=ERRORS,
)
Reader = Annotated[Caller, require(Permission.AUTOMATIONS_READ)]
Manager = Annotated[Caller, require(Permission.AUTOMATIONS_MANAGE)]


def read(rule: Any) -> RuleRead:
    return RuleRead.model_validate(rule, from_attributes=True)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_rule(spec: RuleCreate, caller: Manager, work: TenantWork) -> RuleRead:
    """Add a rule: when `trigger` happens and every condition holds, its actions run, in the
    same transaction as the change that triggered them.

    Triggers and the facts their conditions may test: `customer.created` (customer.kind,
    customer.status, customer.tags, customer.country), `customer.status_changed` (the same,
    status.from, status.to), `ticket.opened` (ticket.priority, ticket.has_customer,
    customer.kind, customer.tags). Actions: `add_tag`, `open_ticket` (customer triggers);
    `set_priority`, `assign_ticket`, `comment` (ticket.opened). Templates may use
    `{customer.name}`, `{customer.account_number}`, `{status.from}`, `{status.to}`,
    `{status.reason}`, `{ticket.number}`, `{ticket.subject}`, `{ticket.priority}` where the
    trigger knows them. Actions trigger no further rules."""
    rule = await service.create_rule(
        work.session, caller.tenant_id, spec, now=work.now, by=caller.reference
    )
    return read(rule)


@router.get("", responses=CSV_RESPONSE, response_model=RulePage)
async def list_rules(
    caller: Reader, session: TenantSession, paging: PagingDep, trigger: Trigger | None = None
) -> RulePage | Response:
    rows, total = await paging.fetch(session, service.rules(trigger))
    return paging.respond(paging.page(RulePage, [read(r) for r in rows], total), "automations")


@router.get("/{rule_id}", responses=NOT_FOUND)
async def get_rule(rule_id: UUID, caller: Reader, session: TenantSession) -> RuleRead:
    return read(await service.get_rule(session, rule_id))


@router.patch("/{rule_id}", responses=NOT_FOUND)
async def update_rule(
    rule_id: UUID, change: RuleUpdate, caller: Manager, work: TenantWork
) -> RuleRead:
    """Rename, enable or disable a rule, or replace its conditions or actions."""
    return read(await service.update_rule(work.session, rule_id, change, now=work.now))


@router.delete("/{rule_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_rule(rule_id: UUID, caller: Manager, session: TenantSession) -> None:
    """Delete a rule and the record of its runs (disable it to keep them)."""
    await service.delete_rule(session, rule_id)


@router.get("/{rule_id}/runs", responses={**CSV_RESPONSE, **NOT_FOUND}, response_model=RunPage)
async def list_runs(
    rule_id: UUID, caller: Reader, session: TenantSession, paging: PagingDep
) -> RunPage | Response:
    """Each time the rule's conditions held, newest first: what it was about, and what each
    action did (or why it did nothing)."""
    await service.get_rule(session, rule_id)
    rows, total = await paging.fetch(session, service.runs(rule_id))
    page = paging.page(
        RunPage, [RunRead.model_validate(r, from_attributes=True) for r in rows], total
    )
    return paging.respond(page, "automation-runs")
