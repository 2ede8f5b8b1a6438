"""The operator's view of the platform's billing: recurring revenue, churn, failed payments,
and each ISP's health, all read from billing's own accounts and their history of moves."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from billing.accounts.service import MONTHS
from billing.insights import repository
from billing.insights.schemas import (
    Churn,
    ChurnMonth,
    FailedPayments,
    FailedPaymentsMonth,
    Health,
    HealthFactor,
    HealthList,
    Revenue,
    TierRevenue,
    Unpaid,
)
from billing.models import Account, AccountStatus
from dotmac_contracts.vocabulary import BillingPeriod, Tier

BILLED = frozenset({AccountStatus.ACTIVE.value, AccountStatus.PAST_DUE.value})
"""Statuses whose subscription is still billed (and so counts in recurring revenue)."""
PAYING = BILLED | {AccountStatus.SUSPENDED.value}
"""Statuses of an ISP the platform still has as a customer (churn's denominator)."""
GROWTH_DAYS = 30
PAYMENT_HISTORY_DAYS = 180


async def revenue(session: AsyncSession, *, now: datetime) -> Revenue:
    rows = await repository.accounts(session)
    per_tier: dict[str, list[int]] = {t.value: [0, 0, 0] for t in Tier}
    mrr = 0
    for row in rows:
        counts = per_tier.setdefault(row.tier, [0, 0, 0])
        counts[0] += 1
        if row.status in BILLED and row.amount_cents:
            monthly = round(row.amount_cents / MONTHS[BillingPeriod(row.billing_period)])
            counts[1] += 1
            counts[2] += monthly
            mrr += monthly
    currencies = {row.currency for row in rows if row.currency}
    return Revenue(
        currency=(currencies.pop() if len(currencies) == 1 else "usd").upper(),
        mrr_cents=mrr,
        arr_cents=12 * mrr,
        paying_isps=sum(c[1] for c in per_tier.values()),
        by_tier=[
            TierRevenue(tier=tier, isps=c[0], paying=c[1], mrr_cents=c[2])
            for tier, c in per_tier.items()
        ],
        by_status=dict(Counter(row.status for row in rows)),
        by_region=dict(Counter(row.region for row in rows)),
        as_of=now,
    )


def _months(now: datetime, count: int) -> list[tuple[str, datetime, datetime]]:
    """The last `count` calendar months (UTC) up to now's: (label, start, end), oldest first;
    the current month ends now."""
    year, month = now.year, now.month
    spans: list[tuple[str, datetime, datetime]] = []
    end = now
    for _ in range(count):
        start = datetime(year, month, 1, tzinfo=UTC)
        spans.append((f"{year:04d}-{month:02d}", start, end))
        end = start
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return spans[::-1]


async def churn(session: AsyncSession, *, months: int, now: datetime) -> Churn:
    found = []
    for label, start, end in _months(now, months):
        paying = sum(
            1 for s in (await repository.statuses_at(session, start)).values() if s in PAYING
        )
        cancelled = len(
            set(await repository.moves_into(session, "cancelled", sorted(PAYING), start, end))
        )
        found.append(
            ChurnMonth(
                month=label,
                paying_at_start=paying,
                cancelled=cancelled,
                churn_rate=round(cancelled / paying, 4) if paying else None,
            )
        )
    return Churn(months=found)


async def failed_payments(session: AsyncSession, *, months: int, now: datetime) -> FailedPayments:
    found = []
    for label, start, end in _months(now, months):
        failed = await repository.moves_into(session, "past_due", ["active"], start, end)
        recovered = await repository.moves_into(
            session, "active", ["past_due", "suspended"], start, end
        )
        found.append(FailedPaymentsMonth(month=label, failed=len(failed), recovered=len(recovered)))
    outstanding = [
        Unpaid(
            isp_id=a.isp_id,
            company_name=a.company_name,
            status=a.status,  # type: ignore[arg-type]
            past_due_since=await repository.last_move_into(session, a.isp_id, "past_due"),
            amount_cents=a.amount_cents,
            currency=a.currency,
        )
        for a in await repository.unpaid(session)
    ]
    outstanding.sort(key=lambda u: u.past_due_since or now)
    return FailedPayments(months=found, outstanding=outstanding)


async def health(session: AsyncSession, account: Account, *, now: datetime) -> Health:
    """The ISP's health, from four factors, each saying how it was scored."""
    factors = [
        await _payment_history(session, account, now),
        await _customer_growth(session, account, now),
        _usage_against_cap(account),
        _open_tickets(account),
    ]
    score = sum(f.points for f in factors)
    return Health(
        isp_id=account.isp_id,
        company_name=account.company_name,
        tier=account.tier,
        status=account.status,
        score=score,
        band="healthy" if score >= 75 else "watch" if score >= 50 else "at_risk",
        factors=factors,
        computed_at=now,
    )


async def health_of_all(session: AsyncSession, *, limit: int, now: datetime) -> HealthList:
    scored = [await health(session, a, now=now) for a in await repository.opened(session, limit)]
    return HealthList(isps=sorted(scored, key=lambda h: (h.score, str(h.isp_id))))


async def account(session: AsyncSession, isp_id: UUID) -> Account | None:
    return await session.get(Account, isp_id)


async def _payment_history(session: AsyncSession, account: Account, now: datetime) -> HealthFactor:
    since = now - timedelta(days=PAYMENT_HISTORY_DAYS)
    failures = await repository.moves_into(
        session, "past_due", ["active"], since, now, isp_id=account.isp_id
    )
    points = {0: 35, 1: 20, 2: 10}.get(len(failures), 0)
    detail = f"{len(failures)} failed payment(s) in the last {PAYMENT_HISTORY_DAYS} days"
    if account.status == AccountStatus.SUSPENDED:
        points, detail = 0, detail + "; suspended for non-payment now"
    elif account.status == AccountStatus.PAST_DUE:
        points, detail = min(points, 10), detail + "; a payment is outstanding now"
    return HealthFactor(name="payment_history", weight=35, points=points, detail=detail)


async def _customer_growth(session: AsyncSession, account: Account, now: datetime) -> HealthFactor:
    before = await repository.customers_on(
        session, account.isp_id, (now - timedelta(days=GROWTH_DAYS)).date()
    )
    current = account.customers
    if before is None:
        return HealthFactor(
            name="customer_growth",
            weight=25,
            points=15,
            detail=f"{current} customers; no count from {GROWTH_DAYS} days ago yet (neutral)",
        )
    change = (current - before) / before if before else (1.0 if current else 0.0)
    points = 25 if change >= 0.05 else 20 if change >= 0 else 10 if change >= -0.05 else 0
    return HealthFactor(
        name="customer_growth",
        weight=25,
        points=points,
        detail=f"{before} → {current} customers over {GROWTH_DAYS} days ({change:+.1%})",
    )


def _usage_against_cap(account: Account) -> HealthFactor:
    cap, customers = account.customer_cap, account.customers
    if cap is None:
        return HealthFactor(
            name="usage_against_cap",
            weight=20,
            points=20,
            detail=f"{customers} customers; the {account.tier} tier has no cap",
        )
    share = customers / cap
    if share >= 1:
        points, why = 10, "at the cap: new customers are refused until it moves up a tier"
    elif share >= 0.9:
        points, why = 14, "close to the cap: time to talk about the next tier"
    elif share >= 0.05:
        points, why = 20, "room to grow"
    else:
        points, why = 8, "barely used"
    return HealthFactor(
        name="usage_against_cap",
        weight=20,
        points=points,
        detail=f"{customers} of {cap} customers ({share:.0%}): {why}",
    )


def _open_tickets(account: Account) -> HealthFactor:
    open_ = account.open_tickets
    per_hundred = open_ * 100 / max(account.customers, 1)
    points = 20 if per_hundred <= 2 else 14 if per_hundred <= 5 else 8 if per_hundred <= 10 else 0
    return HealthFactor(
        name="open_tickets",
        weight=20,
        points=points,
        detail=f"{open_} open ticket(s), {per_hundred:.1f} per 100 customers",
    )
