"""Usage: each ISP's customer count, recorded per day from tenant-api's counts, against its
tier's cap. Reaching 80% and 100% of the cap is announced (`UsageThresholdCrossed`), once per
crossing: a count that falls below 80% and rises again is announced again. Nothing fails
silently at the cap: tenant-api refuses the customer past it, and this says it is coming."""

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from billing.accounts import repository as accounts
from billing.models import Account, UsageDay
from billing.notices import Notices
from billing.usage import repository
from dotmac_contracts.events import CustomersCounted, LicenceChanged, UsageThresholdCrossed
from servicekit.outbox import Outbox

THRESHOLDS = (80, 100)
"""Percent of the cap announced when reached."""


def reached(customers: int, cap: int | None) -> int:
    """The highest threshold `customers` reaches under `cap` (0: none, or no cap)."""
    if cap is None or cap <= 0:
        return 0
    return max((t for t in THRESHOLDS if customers * 100 >= cap * t), default=0)


async def record_counts(
    session: AsyncSession, outbox: Outbox, notices: Notices, event: CustomersCounted
) -> None:
    """Record each ISP's count for its day; each ISP billing knows is checked against its cap.
    An older count than the one already applied moves nothing."""
    counts = event.counts
    await repository.record_days(session, [(c.isp_id, c.customers, c.counted_at) for c in counts])
    held = await accounts.get_many(session, [c.isp_id for c in counts], lock=True)
    for count in counts:
        account, at = held.get(count.isp_id), count.counted_at
        if account is None or (account.counted_at is not None and at < account.counted_at):
            continue
        account.customers, account.counted_at = count.customers, at
        await check(session, outbox, notices, account, at=at)


async def change_cap(
    session: AsyncSession, outbox: Outbox, notices: Notices, event: LicenceChanged
) -> None:
    """A new licence, a new cap: the count is checked against it."""
    account = await accounts.get(session, event.isp_id, lock=True)
    if account is None:
        return
    account.customer_cap = event.customer_cap
    await check(session, outbox, notices, account, at=event.issued_at)


async def check(
    session: AsyncSession, outbox: Outbox, notices: Notices, account: Account, *, at: datetime
) -> None:
    now_at = reached(account.customers, account.customer_cap)
    for threshold in THRESHOLDS:
        if account.usage_alert < threshold <= now_at:
            assert account.customer_cap is not None
            await outbox.add(
                session,
                UsageThresholdCrossed(
                    isp_id=account.isp_id,
                    threshold=threshold,  # type: ignore[arg-type]
                    customers=account.customers,
                    customer_cap=account.customer_cap,
                    crossed_at=at,
                ),
            )
            await notices.threshold(session, account, threshold, account.customer_cap)
    account.usage_alert = now_at


async def days(session: AsyncSession, isp_id: UUID) -> list[UsageDay]:
    return await repository.days(session, isp_id)
