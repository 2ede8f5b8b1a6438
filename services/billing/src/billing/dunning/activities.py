"""The dunning workflow's activities: each does one thing to one ISP's account, and finds its
own earlier work if it runs again."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from temporalio import activity

from billing.accounts import repository as accounts
from billing.accounts.service import move
from billing.clients.stripe import StripeGateway
from billing.models import AccountStatus
from billing.notices import Notices
from servicekit.db import Database
from servicekit.outbox import Outbox


class DunningActivities:
    def __init__(
        self, db: Database, outbox: Outbox, notices: Notices, stripe: StripeGateway
    ) -> None:
        self.db, self.outbox, self.notices, self.stripe = db, outbox, notices, stripe

    @activity.defn
    async def retry_payment(self, isp_id: str) -> None:
        """Charge the ISP's open invoice again. If it goes through, Stripe's webhook moves the
        account back to active and billing tells the workflow it is settled."""
        async with self.db.unit_of_work() as session:
            account = await accounts.get(session, UUID(isp_id))
        if account is None or account.stripe_subscription_id is None:
            return
        await self.stripe.retry_latest_invoice(account.stripe_subscription_id)

    @activity.defn
    async def suspend_account(self, isp_id: str) -> None:
        await self._end(isp_id, AccountStatus.SUSPENDED, "unpaid for 14 days: suspended")

    @activity.defn
    async def cancel_account(self, isp_id: str) -> None:
        await self._end(isp_id, AccountStatus.CANCELLED, "unpaid for 21 days: cancelled")

    async def _end(self, isp_id: str, status: AccountStatus, reason: str) -> None:
        async with self.db.unit_of_work() as session:
            account = await accounts.get(session, UUID(isp_id), lock=True)
            if account is None or account.status == AccountStatus.ACTIVE:
                return  # paid meanwhile: the workflow hears of it next
            if account.status == AccountStatus.CANCELLED:
                return  # ended meanwhile (the ISP offboarded): nothing left to chase
            now = datetime.now(UTC)
            await move(session, self.outbox, self.notices, account, status, reason=reason, at=now)

    def handlers(self) -> list[Callable[..., Any]]:
        return [self.retry_payment, self.suspend_account, self.cancel_account]
