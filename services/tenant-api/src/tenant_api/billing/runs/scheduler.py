"""Automatic bill runs: each ISP that asked for them has its periods billed the day after they
end.

The timer is durable because it is a row, not a process: `tenant.bill_schedules` holds each
ISP's next period and the day it is due, and every replica's scheduler looks for due rows every
few minutes, claiming them with FOR UPDATE SKIP LOCKED. A run commits in its own transaction
before its schedule moves on to the next period; if the process dies between the two, the next
look runs the period again, which invoices nothing twice (bill runs are idempotent per customer
and period). A scheduler that was down for months catches up one period per ISP per look.
"""

import logging
from datetime import UTC, date, datetime
from uuid import UUID

from dotmac_contracts.vocabulary import Plugin
from servicekit.problems import Problem
from servicekit.runtime import Runtime
from tenant_api.billing.periods import period_of
from tenant_api.billing.runs import service
from tenant_api.billing.runs.schemas import BillRunCreate
from tenant_api.billing.settings import repository as settings
from tenant_api.messagebus import MessageBus, UnitOfWork
from tenant_api.tenancy.entitlements.store import EntitlementStore
from tenant_api.timers import DurableTimer

log = logging.getLogger(__name__)
BY = "schedule"


class BillScheduler(DurableTimer):
    name = "bill-scheduler"

    def __init__(
        self, entitlements: EntitlementStore, bus: MessageBus, interval_s: float = 300
    ) -> None:
        super().__init__(interval_s)
        self.entitlements, self.bus = entitlements, bus

    async def tick(self, runtime: Runtime, now: datetime | None = None, batch: int = 20) -> int:
        """Bill the due periods of up to `batch` ISPs: how many were billed."""
        now = now or datetime.now(UTC)
        billed = 0
        async with runtime.db.unit_of_work() as session:
            for schedule in await settings.claim_due(session, now.date(), batch):
                error = await self._run(runtime, schedule.tenant_id, schedule.period, now)
                if error == "retry":
                    continue
                billed += error is None
                year, month = (int(part) for part in schedule.period.split("-"))
                following = period_of(date(year, month, 1), 1)[1]
                schedule.period = f"{following:%Y-%m}"
                schedule.due_on = await self._due(runtime, schedule.tenant_id, following, now)
                schedule.last_run_at, schedule.last_error = now, error
                schedule.updated_at = now
        return billed

    async def _run(
        self, runtime: Runtime, tenant_id: UUID, period: str, now: datetime
    ) -> str | None:
        """None when billed; the reason a person can act on when it cannot be; "retry" when
        it failed for a reason that may pass (the database, say)."""
        if not self.entitlements.allows(tenant_id, Plugin.AUTOMATED_BILLING):
            return "Not billed: the ISP's licence has no automated_billing (or is not in force)."
        try:
            async with runtime.db.unit_of_work(tenant=tenant_id) as session:
                work = UnitOfWork(session, tenant_id, self.bus, now)
                await service.run(work, BillRunCreate(period=period), by=BY)
                await work.flush()
        except Problem as refused:  # the period cannot be billed by a run: say why, move on
            return f"{period} not billed: {refused.detail}"[:500]
        except Exception:
            log.warning(
                "automatic bill run of %s for %s failed; retrying", period, tenant_id, exc_info=True
            )
            return "retry"
        return None

    async def _due(self, runtime: Runtime, tenant_id: UUID, month: date, now: datetime) -> date:
        async with runtime.db.unit_of_work(tenant=tenant_id) as session:
            current = await settings.ensure(session, tenant_id, now)
            return period_of(month, current.billing_day)[1]
