import uuid
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.problems import NotFound, TransitionRefused, UnprocessableContent
from tenant_api.identity.users import service as users
from tenant_api.messagebus import UnitOfWork
from tenant_api.messages import TicketOpened, TicketUpdated
from tenant_api.models import Ticket, TicketComment
from tenant_api.support import repository
from tenant_api.support.schemas import (
    SLA,
    TRANSITIONS,
    CommentCreate,
    Priority,
    TicketCreate,
    TicketStatus,
    TicketUpdate,
)


async def open_ticket(work: UnitOfWork, spec: TicketCreate, *, sla: bool, by: str) -> Ticket:
    session, now = work.session, work.now
    if spec.customer_id is not None:
        await _check_customer(session, spec.customer_id)
    if spec.assignee_id is not None:
        await check_assignee(session, spec.assignee_id)
    ticket = Ticket(
        id=uuid.uuid4(),
        tenant_id=work.tenant_id,
        number=await repository.next_number(session, work.tenant_id),
        subject=spec.subject,
        description=spec.description,
        status=TicketStatus.OPEN.value,
        priority=spec.priority.value,
        customer_id=spec.customer_id,
        assignee_id=spec.assignee_id,
        opened_by=by,
        sla_due_at=now + SLA[spec.priority] if sla else None,
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    work.record(TicketOpened(ticket.id, ticket.customer_id, by))
    await work.flush()
    return ticket


async def get_ticket(session: AsyncSession, ticket_id: UUID) -> Ticket:
    ticket = await repository.get(session, ticket_id)
    if ticket is None:
        raise NotFound(f"No ticket {ticket_id} at this ISP.")
    return ticket


CHANGES = {
    "status": "status",
    "priority": "priority",
    "assignee_id": "assignee",
    "subject": "subject",
    "description": "description",
    "customer_id": "customer",
}
"""A ticket's fields, by the name `TicketUpdated` gives their change."""


async def update_ticket(
    work: UnitOfWork, ticket_id: UUID, change: TicketUpdate, *, sla: bool, by: str
) -> Ticket:
    """Change what `change` sets; raises `TicketUpdated` naming what did change (nothing, if
    every value sent was the ticket's already)."""
    session, now = work.session, work.now
    ticket = await get_ticket(session, ticket_id)
    fields = change.model_fields_set
    if TicketStatus(ticket.status) == TicketStatus.CLOSED and fields:
        raise TransitionRefused("The ticket is closed: open a new one.", status_now="closed")
    if "customer_id" in fields and change.customer_id is not None:
        await _check_customer(session, change.customer_id)
    if "assignee_id" in fields and change.assignee_id is not None:
        await check_assignee(session, change.assignee_id)
    changed: list[str] = []
    before = ticket.status
    if change.status is not None and change.status != ticket.status:
        _move(ticket, change.status, now)
        changed.append("status")
    for field in fields - {"status"}:
        value = getattr(change, field)
        value = value.value if isinstance(value, Priority) else value
        if getattr(ticket, field) != value:
            setattr(ticket, field, value)
            changed.append(field)
    if "priority" in fields and sla:
        ticket.sla_due_at = ticket.created_at + SLA[Priority(ticket.priority)]
    ticket.updated_at = now
    if changed:
        changes = tuple(name for field, name in CHANGES.items() if field in changed)
        moved_from = before if "status" in changed else None
        work.record(TicketUpdated(ticket.id, changes, by, previous_status=moved_from))
    await work.flush()
    return ticket


async def count_open(session: AsyncSession) -> int:
    """The ISP's tickets still being worked on (open or pending)."""
    return await repository.count_open(session)


async def comment(
    work: UnitOfWork,
    ticket_id: UUID,
    spec: CommentCreate,
    *,
    author_id: UUID | None,
    by: str,
) -> TicketComment:
    ticket = await get_ticket(work.session, ticket_id)
    if ticket.status == TicketStatus.CLOSED:
        raise TransitionRefused("The ticket is closed: open a new one.", status_now="closed")
    note = TicketComment(
        id=uuid.uuid4(),
        tenant_id=work.tenant_id,
        ticket_id=ticket_id,
        body=spec.body,
        author=by,
        author_id=author_id,
        created_at=work.now,
    )
    work.session.add(note)
    ticket.updated_at = work.now
    work.record(TicketUpdated(ticket.id, ("comment",), by, comment_id=note.id))
    await work.flush()
    return note


async def comments(session: AsyncSession, ticket_id: UUID) -> list[TicketComment]:
    return await repository.comments(session, ticket_id)


search = repository.search


def is_overdue(ticket: Ticket, now: datetime) -> bool:
    return bool(
        ticket.sla_due_at is not None and ticket.resolved_at is None and ticket.sla_due_at < now
    )


def _move(ticket: Ticket, to: TicketStatus, now: datetime) -> None:
    current = TicketStatus(ticket.status)
    if to not in TRANSITIONS[current]:
        raise TransitionRefused(
            f"A {current.value} ticket cannot become {to.value}.",
            status_now=current.value,
            allowed=sorted(TRANSITIONS[current]),
        )
    ticket.status = to.value
    if to == TicketStatus.RESOLVED:
        ticket.resolved_at = now
    elif to == TicketStatus.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    elif to == TicketStatus.OPEN:
        ticket.resolved_at = None  # reopened: not resolved after all


async def _check_customer(session: AsyncSession, customer_id: UUID) -> None:
    if not await repository.customer_exists(session, customer_id):
        raise UnprocessableContent(f"No customer {customer_id} at this ISP.", field="customer_id")


async def check_assignee(session: AsyncSession, user_id: UUID) -> None:
    if not await users.is_active(session, user_id):
        raise UnprocessableContent(
            f"No active user {user_id} at this ISP to assign the ticket to.", field="assignee_id"
        )
