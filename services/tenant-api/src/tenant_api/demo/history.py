"""A scenario's billing history, made the way an ISP's own is: a vacation hold or two placed
ahead of time, then the real bill run of each of the last `months` ended periods with the
clock at the day after each ends (so plan changes and suspensions in the scenario's history
are prorated and left out as they would have been), then most invoices paid by bank transfer
or cash through the payment service a few days after issue; some of the last months' are left
open, a few older ones overdue.

Choices are drawn from a generator seeded with the scenario's name, so the same scenario on
the same day gives the same history. The invoices are history: none is mailed.
"""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from sqlalchemy import select

from tenant_api.billing.documents import issued
from tenant_api.billing.holds import service as holds
from tenant_api.billing.holds.schemas import HoldCreate
from tenant_api.billing.invoices import service as invoices
from tenant_api.billing.invoices.schemas import PaymentCreate, PaymentMethod
from tenant_api.billing.periods import period_of
from tenant_api.billing.runs import service as runs
from tenant_api.billing.runs.schemas import BillRunCreate
from tenant_api.demo.scenarios import Scenario
from tenant_api.messagebus import UnitOfWork
from tenant_api.models import Invoice

BY = "sample data"
MONTHS = {"medium": 12}
"""The scenarios given a billing history, and how many periods of it."""
HOLDS = 3
UNPAID_RECENT = 0.08
"""The share of the last two periods' invoices not paid yet."""
UNPAID_OLD = 0.015
"""The share of older invoices never paid (overdue)."""


@dataclass(frozen=True)
class BillingHistory:
    bill_runs: int
    invoices: int
    payments: int
    holds: int


def _month(day: date, back: int) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


async def bill(
    work: UnitOfWork, scenario: Scenario, customer_ids: dict[str, UUID]
) -> BillingHistory | None:
    """Bill the scenario's last periods for real (only for the scenarios in `MONTHS`)."""
    months = MONTHS.get(scenario.name)
    if months is None:
        return None
    rng = random.Random(f"billing-{scenario.name}")
    session, tenant_id, bus = work.session, work.tenant_id, work.bus
    first_period = _month(scenario.anchor, months)
    placed = await _holds(work, scenario, customer_ids, rng, first_period)
    made = paid = 0
    for back in range(months, 0, -1):
        p0, p1 = period_of(_month(scenario.anchor, back), 1)
        at = datetime.combine(p1, time(6), UTC)
        run, _ = await runs.run(
            UnitOfWork(session, tenant_id, bus, at), BillRunCreate(period=f"{p0:%Y-%m}"), by=BY
        )
        billed = await session.scalars(
            select(Invoice).where(Invoice.bill_run_id == run.id).order_by(Invoice.sequence_number)
        )
        for invoice in list(billed):
            made += 1
            unpaid = UNPAID_RECENT if back <= 2 else UNPAID_OLD
            received = p1 + timedelta(days=rng.randint(2, 20))
            if rng.random() < unpaid or received > scenario.anchor or invoice.total == 0:
                continue
            method = PaymentMethod.BANK_TRANSFER if rng.random() < 0.85 else PaymentMethod.CASH
            actor = invoices.Actor(tenant_id, BY, datetime.combine(received, time(10), UTC))
            spec = PaymentCreate(
                amount=invoices.balance_due(invoice),
                method=method,
                received_on=received,
                reference=f"Transfer {invoice.number}" if method == "bank_transfer" else None,
            )
            await invoices.record_payment(session, actor, invoice.id, spec, None)
            paid += 1
    await issued.not_to_mail(session, tenant_id)
    return BillingHistory(bill_runs=months, invoices=made, payments=paid, holds=placed)


async def _holds(
    work: UnitOfWork,
    scenario: Scenario,
    customer_ids: dict[str, UUID],
    rng: random.Random,
    first_period: date,
) -> int:
    """Vacation holds of two or three weeks, months into the history, for a few customers
    active since its first months; each placed a month before it starts."""
    steady = [
        c
        for c in scenario.customers
        if c.status == "active"
        and all(h.to_status == "active" for h in c.history if h.at.date() >= first_period)
        and c.subscriptions
        and c.subscriptions[0].starts_on < first_period + timedelta(days=90)
    ]
    chosen = rng.sample(steady, min(HOLDS, len(steady)))
    for customer in chosen:
        starts = first_period + timedelta(days=rng.randint(120, 300))
        spec = HoldCreate(
            starts_on=starts,
            ends_on=starts + timedelta(days=rng.randint(14, 21)),
            reason="Away on holiday",
        )
        placed_at = datetime.combine(starts - timedelta(days=30), time(9), UTC)
        await holds.place(
            work.session, work.tenant_id, customer_ids[customer.key], spec, by=BY, now=placed_at
        )
    return len(chosen)
