from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, status
from fastapi.responses import Response

from dotmac_contracts.vocabulary import Plugin
from tenant_api.deps import (
    ERRORS,
    NOT_FOUND,
    Caller,
    EntitlementsDep,
    TenantSession,
    TenantWork,
    require,
    require_plugin,
)
from tenant_api.identity.auth.roles import Permission
from tenant_api.listing import CSV_RESPONSE, PagingDep, SearchText
from tenant_api.models import Ticket
from tenant_api.support import service
from tenant_api.support.schemas import (
    CommentCreate,
    CommentRead,
    Priority,
    TicketCreate,
    TicketDetail,
    TicketPage,
    TicketRead,
    TicketSort,
    TicketStatus,
    TicketUpdate,
)

router = APIRouter(
    prefix="/api/v1/tickets",
    tags=["tickets"],
    dependencies=[require_plugin(Plugin.CUSTOMER_MANAGEMENT)],
    responses=ERRORS,
)
Reader = Annotated[Caller, require(Permission.TICKETS_READ)]
Writer = Annotated[Caller, require(Permission.TICKETS_WRITE)]


def read(ticket: Ticket, now: datetime) -> TicketRead:
    return TicketRead.model_validate(
        {**_columns(ticket), "overdue": service.is_overdue(ticket, now)}
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def open_ticket(
    spec: TicketCreate, caller: Writer, work: TenantWork, entitlements: EntitlementsDep
) -> TicketRead:
    """Open a ticket. With sla_management it is due by its priority: urgent 4 h, high 8 h,
    normal 24 h, low 72 h."""
    sla = entitlements.allows(caller.tenant_id, Plugin.SLA_MANAGEMENT)
    ticket = await service.open_ticket(work, spec, sla=sla, by=caller.reference)
    return read(ticket, work.now)


@router.get("", responses=CSV_RESPONSE, response_model=TicketPage)
async def list_tickets(
    caller: Reader,
    session: TenantSession,
    paging: PagingDep,
    q: Annotated[SearchText | None, Query(description="any part of the subject")] = None,
    status: Annotated[list[TicketStatus] | None, Query(max_length=4)] = None,
    priority: Priority | None = None,
    customer_id: UUID | None = None,
    assignee_id: UUID | None = None,
    overdue: bool | None = None,
    sort: TicketSort = TicketSort.NEWEST,
) -> TicketPage | Response:
    now = _now()
    query = service.search(
        now=now,
        q=q,
        status=status,
        priority=priority,
        customer_id=customer_id,
        assignee_id=assignee_id,
        overdue=overdue,
        sort=sort,
    )
    rows, total = await paging.fetch(session, query)
    return paging.respond(paging.page(TicketPage, [read(r, now) for r in rows], total), "tickets")


@router.get("/{ticket_id}", responses=NOT_FOUND)
async def get_ticket(ticket_id: UUID, caller: Reader, session: TenantSession) -> TicketDetail:
    """The ticket with its comments, oldest first."""
    ticket = await service.get_ticket(session, ticket_id)
    found = await service.comments(session, ticket_id)
    return TicketDetail(
        **read(ticket, _now()).model_dump(),
        comments=[CommentRead.model_validate(c, from_attributes=True) for c in found],
    )


@router.patch(
    "/{ticket_id}",
    responses={**NOT_FOUND, 409: {"description": "The status cannot go there, or closed"}},
)
async def update_ticket(
    ticket_id: UUID,
    change: TicketUpdate,
    caller: Writer,
    work: TenantWork,
    entitlements: EntitlementsDep,
) -> TicketRead:
    """Change the subject, priority, assignee, customer or status (open, pending, resolved,
    closed: a resolved ticket can be reopened; a closed one is final)."""
    sla = entitlements.allows(caller.tenant_id, Plugin.SLA_MANAGEMENT)
    ticket = await service.update_ticket(work, ticket_id, change, sla=sla, by=caller.reference)
    return read(ticket, work.now)


@router.post(
    "/{ticket_id}/comments",
    status_code=status.HTTP_201_CREATED,
    responses={**NOT_FOUND, 409: {"description": "The ticket is closed"}},
)
async def add_comment(
    ticket_id: UUID, spec: CommentCreate, caller: Writer, work: TenantWork
) -> CommentRead:
    note = await service.comment(
        work,
        ticket_id,
        spec,
        author_id=caller.person.user_id if caller.person else None,
        by=caller.reference,
    )
    return CommentRead.model_validate(note, from_attributes=True)


def _columns(ticket: Ticket) -> dict[str, Any]:
    return {c.key: getattr(ticket, c.key) for c in Ticket.__table__.columns}


def _now() -> datetime:
    return datetime.now(UTC)
