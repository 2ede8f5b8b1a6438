"""What billing tells an ISP's contact by email, queued in the same transaction as the move
that calls for it (sent once it commits): nothing about its payments or its cap happens
silently."""

from sqlalchemy.ext.asyncio import AsyncSession

from billing.models import Account, AccountStatus
from servicekit.mail import Mailer


class Notices:
    def __init__(self, mailer: Mailer, retry_days: list[int], suspend_day: int, cancel_day: int):
        self.mailer = mailer
        self.retry_days, self.suspend_day, self.cancel_day = retry_days, suspend_day, cancel_day

    async def moved(self, session: AsyncSession, account: Account, previous: str) -> None:
        """The notice for the account's move from `previous`, if the move calls for one."""
        name, status = account.company_name, account.status
        if status == AccountStatus.PAST_DUE and previous == AccountStatus.ACTIVE:
            days = ", ".join(str(d) for d in self.retry_days)
            subject = "Your DotMac payment did not go through"
            body = (
                f"Hello {name},\n\nYour latest payment for DotMac failed. We will try again on "
                f"days {days} after it failed. Unless it is paid, your instance becomes "
                f"read-only on day {self.suspend_day} and your account is cancelled on day "
                f"{self.cancel_day}. Update your payment method to settle it now.\n"
            )
        elif status == AccountStatus.SUSPENDED:
            subject = "Your DotMac instance is suspended"
            body = (
                f"Hello {name},\n\nYour payment is still outstanding, so your instance is "
                f"read-only: your people can sign in and read, but not change anything. Pay "
                f"before day {self.cancel_day} to restore it; after that your account is "
                "cancelled and your data exported for you.\n"
            )
        elif status == AccountStatus.CANCELLED and previous == AccountStatus.SUSPENDED:
            subject = "Your DotMac account is cancelled"
            body = (
                f"Hello {name},\n\nYour payment stayed outstanding, so your account is "
                "cancelled. We will email you an export of your data before anything is "
                "deleted.\n"
            )
        elif status == AccountStatus.ACTIVE and previous in (
            AccountStatus.PAST_DUE,
            AccountStatus.SUSPENDED,
        ):
            subject = "Payment received: your DotMac account is in good standing"
            body = f"Hello {name},\n\nThank you: your payment went through. All is restored.\n"
        else:
            return
        await self.mailer.queue(session, to=account.contact_email, subject=subject, body=body)

    async def threshold(
        self, session: AsyncSession, account: Account, threshold: int, cap: int
    ) -> None:
        if threshold >= 100:
            subject = "You have reached your DotMac tier's customer limit"
            advice = "New customers are refused until you move to a higher tier."
        else:
            subject = f"You are at {threshold}% of your DotMac tier's customer limit"
            advice = "Consider moving to a higher tier before you reach it."
        body = (
            f"Hello {account.company_name},\n\nYou have {account.customers} customers of the "
            f"{cap} your {account.tier} tier allows. {advice}\n"
        )
        await self.mailer.queue(session, to=account.contact_email, subject=subject, body=body)
