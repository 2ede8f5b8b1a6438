"""Support's SQL: tickets, their comments, and the few facts it checks elsewhere at the ISP."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, case, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tenant_api.listing import contains
from tenant_api.models import Customer, Ticket, TicketComment
from tenant_api.support.schemas import TicketSort, TicketStatus
from tenant_api.vocabulary import Priority

ORDER = {
    p: n for n, p in enumerate((Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW))
}


async def next_number(session: AsyncSession, tenant_id: UUID) -> int:
    """The ISP's next ticket number; holds the ISP's ticket numbering until the commit, so
    numbers have no gaps and no repeats."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:t, 0))"),
        {"t": f"tickets:{tenant_id}"},
    )
    return (await session.scalar(select(func.max(Ticket.number))) or 0) + 1


async def get(session: AsyncSession, ticket_id: UUID) -> Ticket | None:
    return await session.get(Ticket, ticket_id)


async def comments(session: AsyncSession, ticket_id: UUID) -> list[TicketComment]:
    found = await session.execute(
        select(TicketComment)
        .where(TicketComment.ticket_id == ticket_id)
        .order_by(TicketComment.created_at, TicketComment.id)
    )
    return list(found.scalars())


async def count_open(session: AsyncSession) -> int:
    worked_on = (TicketStatus.OPEN.value, TicketStatus.PENDING.value)
    query = select(func.count()).select_from(Ticket).where(Ticket.status.in_(worked_on))
    return int(await session.scalar(query) or 0)


async def customer_exists(session: AsyncSession, customer_id: UUID) -> bool:
    return await session.scalar(select(Customer.id).where(Customer.id == customer_id)) is not None


def search(
    *,
    now: datetime,
    q: str | None = None,
    status: list[TicketStatus] | None = None,
    priority: Priority | None = None,
    customer_id: UUID | None = None,
    assignee_id: UUID | None = None,
    overdue: bool | None = None,
    sort: TicketSort = TicketSort.NEWEST,
) -> Select[Any]:
    query = select(Ticket)
    if q:
        query = query.where(contains(Ticket.subject, q))
    if status:
        query = query.where(Ticket.status.in_([s.value for s in status]))
    if priority:
        query = query.where(Ticket.priority == priority.value)
    if customer_id:
        query = query.where(Ticket.customer_id == customer_id)
    if assignee_id:
        query = query.where(Ticket.assignee_id == assignee_id)
    if overdue is not None:
        late = (Ticket.sla_due_at < now) & Ticket.resolved_at.is_(None)
        query = query.where(late if overdue else ~late | Ticket.sla_due_at.is_(None))
    rank = case(ORDER, value=Ticket.priority)
    order = {
        TicketSort.NEWEST: (Ticket.number.desc(),),
        TicketSort.OLDEST: (Ticket.number,),
        TicketSort.DUE: (Ticket.sla_due_at.asc().nulls_last(), Ticket.number),
        TicketSort.PRIORITY: (rank, Ticket.number),
    }[sort]
    return query.order_by(*order)
