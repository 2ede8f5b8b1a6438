"""Reports read the history the business tables keep: customers' status changes, subscriptions
with their plans, tickets' open and resolve times. Month boundaries are UTC."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tenant_api.reports import repository
from tenant_api.vocabulary import CENT, CustomerStatus

STATUSES = tuple(CustomerStatus)


def month_starts(today: date, months: int) -> list[date]:
    """The first day of each of the last `months` months, the current one last."""
    starts = []
    year, month = today.year, today.month
    for _ in range(months):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass
class StatusCounts:
    month: date
    at: datetime
    lead: int
    active: int
    suspended: int
    cancelled: int


async def customers_by_status(
    session: AsyncSession, *, today: date, months: int, now: datetime
) -> list[StatusCounts]:
    """How many customers were in each status at the end of each month (the current month:
    now)."""
    starts = month_starts(today, months)
    ends = [min(_at(next_month(s)), now) for s in starts]
    changes = await repository.status_changes(session, ends[-1])
    status: dict[Any, str] = {}
    counts: dict[str, int] = defaultdict(int)
    out, i = [], 0
    for start, end in zip(starts, ends, strict=True):
        while i < len(changes) and changes[i].changed_at < end:
            row = changes[i]
            if row.customer_id in status:
                counts[status[row.customer_id]] -= 1
            status[row.customer_id] = row.to_status
            counts[row.to_status] += 1
            i += 1
        out.append(StatusCounts(start, end, *(counts[s] for s in STATUSES)))
    return out


@dataclass
class ChurnMonth:
    month: date
    active_at_start: int
    cancelled: int
    churn_rate: float | None
    new_active: int


async def churn(
    session: AsyncSession, *, today: date, months: int, now: datetime
) -> list[ChurnMonth]:
    """Each month: paying customers (active or suspended) at its start, how many of them
    cancelled in it, and the rate; and how many became active for the first time."""
    starts = month_starts(today, months)
    ends = [min(_at(next_month(s)), now) for s in starts]
    changes = await repository.status_changes(session, ends[-1])
    paying = {CustomerStatus.ACTIVE.value, CustomerStatus.SUSPENDED.value}
    status: dict[Any, str] = {}
    ever_active: set[Any] = set()
    out, i = [], 0
    while i < len(changes) and changes[i].changed_at < _at(starts[0]):
        status[changes[i].customer_id] = changes[i].to_status
        if changes[i].to_status == CustomerStatus.ACTIVE:
            ever_active.add(changes[i].customer_id)
        i += 1
    for start, end in zip(starts, ends, strict=True):
        at_start = sum(1 for s in status.values() if s in paying)
        cancelled = new = 0
        while i < len(changes) and changes[i].changed_at < end:
            row = changes[i]
            if row.to_status == CustomerStatus.CANCELLED and status.get(row.customer_id) in paying:
                cancelled += 1
            if row.to_status == CustomerStatus.ACTIVE and row.customer_id not in ever_active:
                ever_active.add(row.customer_id)
                new += 1
            status[row.customer_id] = row.to_status
            i += 1
        rate = round(cancelled / at_start, 4) if at_start else None
        out.append(ChurnMonth(start, at_start, cancelled, rate, new))
    return out


@dataclass
class PlanRevenue:
    plan_id: Any
    plan: str
    custom: bool
    billing_cycle: str
    price: Decimal
    subscribers: int
    mrr: Decimal


async def mrr_by_plan(session: AsyncSession, *, on: date) -> list[PlanRevenue]:
    """Monthly recurring revenue of the subscriptions running on `on`, by plan: each plan's
    price over the months its billing cycle covers, times its subscribers."""
    rows = await repository.plans_subscribed_on(session, on)
    out = [
        PlanRevenue(
            r.id,
            r.name,
            r.custom,
            r.billing_cycle,
            r.price,
            r.subscribers,
            (r.price * r.subscribers / r.months).quantize(CENT),
        )
        for r in rows
    ]
    return sorted(out, key=lambda p: (-p.mrr, p.plan))


@dataclass
class Resolution:
    priority: str
    resolved: int
    median_hours: float | None
    p90_hours: float | None
    within_sla: int | None
    within_sla_rate: float | None


async def ticket_resolution(
    session: AsyncSession, *, since: datetime, until: datetime
) -> list[Resolution]:
    """Tickets resolved between `since` and `until`, by priority: how long they took (median
    and 90th percentile, in hours) and how many met their SLA due time (tenants with
    sla_management)."""
    rows = await repository.resolution_by_priority(session, since, until)
    found = {r.priority: r for r in rows}
    out = []
    for priority in ("urgent", "high", "normal", "low"):
        r = found.get(priority)
        if r is None:
            out.append(Resolution(priority, 0, None, None, None, None))
            continue
        out.append(
            Resolution(
                priority,
                r.resolved,
                round(r.median, 2),
                round(r.p90, 2),
                r.met if r.with_sla else None,
                round(r.met / r.with_sla, 4) if r.with_sla else None,
            )
        )
    return out
