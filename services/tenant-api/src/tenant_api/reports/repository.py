"""Reports' SQL: the history the business tables keep (customers' status changes,
subscriptions with their plans, tickets' open and resolve times), read for the ISP's reports."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Float, Row, case, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenant_api.models import CustomerStatusChange, ServicePlan, Subscription, Ticket
from tenant_api.vocabulary import MONTHS, BillingCycle

Rows = Sequence[Row[*tuple[Any, ...]]]
"""Rows whose columns are read by name."""


async def status_changes(
    session: AsyncSession, until: datetime
) -> Sequence[Row[UUID, str | None, str, datetime]]:
    """Every customer status change before `until`, oldest first: `customer_id`,
    `from_status`, `to_status`, `changed_at`."""
    found = await session.execute(
        select(
            CustomerStatusChange.customer_id,
            CustomerStatusChange.from_status,
            CustomerStatusChange.to_status,
            CustomerStatusChange.changed_at,
        )
        .where(CustomerStatusChange.changed_at < until)
        .order_by(CustomerStatusChange.changed_at, CustomerStatusChange.id)
    )
    return found.all()


async def plans_subscribed_on(session: AsyncSession, on: date) -> Rows:
    """Each plan with subscriptions running on `on`: `id`, `name`, `custom`, `billing_cycle`,
    `price`, `months` (its billing cycle covers) and `subscribers`."""
    months = case(
        *((ServicePlan.billing_cycle == c.value, MONTHS[c]) for c in BillingCycle), else_=1
    )
    found = await session.execute(
        select(
            ServicePlan.id,
            ServicePlan.name,
            ServicePlan.customer_id.is_not(None).label("custom"),
            ServicePlan.billing_cycle,
            ServicePlan.price,
            months.label("months"),
            func.count(Subscription.id).label("subscribers"),
        )
        .join(Subscription, Subscription.plan_id == ServicePlan.id)
        .where(
            Subscription.starts_on <= on,
            or_(Subscription.ends_on.is_(None), Subscription.ends_on > on),
        )
        .group_by(ServicePlan.id)
    )
    return found.all()


async def resolution_by_priority(session: AsyncSession, since: datetime, until: datetime) -> Rows:
    """Tickets resolved in [`since`, `until`), by priority (those with none are left out):
    `priority`, `resolved`, `median` and `p90` hours to resolve, `with_sla` (how many had an
    SLA due time) and `met` (how many were resolved by it)."""
    hours = cast(func.extract("epoch", Ticket.resolved_at - Ticket.created_at), Float) / 3600
    with_sla = Ticket.sla_due_at.is_not(None)
    found = await session.execute(
        select(
            Ticket.priority,
            func.count().label("resolved"),
            func.percentile_cont(0.5).within_group(hours).label("median"),
            func.percentile_cont(0.9).within_group(hours).label("p90"),
            func.count().filter(with_sla).label("with_sla"),
            func.count().filter(with_sla & (Ticket.resolved_at <= Ticket.sla_due_at)).label("met"),
        )
        .where(Ticket.resolved_at >= since, Ticket.resolved_at < until)
        .group_by(Ticket.priority)
    )
    return found.all()
