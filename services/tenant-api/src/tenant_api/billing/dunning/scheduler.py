"""The daily dunning pass of each ISP that enabled dunning, on the same kind of timer as the
automatic bill runs: `tenant.dunning_schedules` holds the day each ISP's next pass is due, and
every replica claims due rows with FOR UPDATE SKIP LOCKED. A pass commits before its timer
moves to the next day; if the process dies between the two, the next look runs the pass again,
which does nothing twice (each reminder step and late fee is unique per invoice, and a
suspended customer is not suspended again)."""

import logging
from datetime import UTC, datetime
from uuid import UUID

from dotmac_contracts.vocabulary import Plugin
from servicekit.mail import Mailer
from servicekit.problems import Problem
from servicekit.runtime import Runtime
from tenant_api.billing.dunning import repository, service
from tenant_api.messagebus import MessageBus, UnitOfWork
from tenant_api.tenancy.entitlements.store import EntitlementStore
from tenant_api.timers import DurableTimer

log = logging.getLogger(__name__)


class DunningScheduler(DurableTimer):
    name = "dunning-scheduler"

    def __init__(
        self,
        entitlements: EntitlementStore,
        bus: MessageBus,
        mailer: Mailer,
        interval_s: float = 300,
    ) -> None:
        super().__init__(interval_s)
        self.entitlements, self.bus, self.mailer = entitlements, bus, mailer

    async def tick(self, runtime: Runtime, now: datetime | None = None, batch: int = 20) -> int:
        now = now or datetime.now(UTC)
        done = 0
        async with runtime.db.unit_of_work() as session:
            for schedule in await repository.claim_due(session, now.date(), batch):
                error = await self._pass(runtime, schedule.tenant_id, now)
                if error == "retry":
                    continue
                done += error is None
                schedule.due_on = service.next_day(now.date())
                schedule.last_run_at, schedule.last_error = now, error
                schedule.updated_at = now
        return done

    async def _pass(self, runtime: Runtime, tenant_id: UUID, now: datetime) -> str | None:
        """None when done; a reason a person can act on; "retry" for what may pass."""
        if not self.entitlements.allows(tenant_id, Plugin.AUTOMATED_BILLING):
            return "No pass: the ISP's licence has no automated_billing (or is not in force)."
        try:
            async with runtime.db.unit_of_work(tenant=tenant_id) as session:
                work = UnitOfWork(session, tenant_id, self.bus, now)
                await service.run_pass(work, self.mailer, dry_run=False)
                await work.flush()
        except Problem as refused:
            return f"No pass: {refused.detail}"[:500]
        except Exception:
            log.warning("dunning pass for %s failed; retrying", tenant_id, exc_info=True)
            return "retry"
        return None
