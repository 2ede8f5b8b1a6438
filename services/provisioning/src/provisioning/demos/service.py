"""The demo lifecycle's rules: what a prospect is told before their demo is removed, and which
event announces each change of a demo's life."""

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.events import (
    DemoConverted,
    DemoExtended,
    DemoOpened,
    DemoReminded,
    DemoRemoved,
)
from dotmac_contracts.registry import IspEvent
from provisioning.demos.messages import Announcement, Reminder
from servicekit.mail import Mailer
from servicekit.outbox import Outbox


async def remind(session: AsyncSession, mailer: Mailer, reminder: Reminder) -> None:
    """Email the prospect that their unused demo will be removed, and how to keep it, once the
    caller's transaction commits."""
    demo, removal = reminder.demo, datetime.fromisoformat(reminder.removal_at)
    await mailer.queue(
        session,
        to=demo.prospect_email,
        subject=f"Your DotMac demo for {demo.company_name} closes on {removal:%d %B %Y}",
        body=(
            f"Hello {demo.prospect_name},\n\n"
            f"Your demo at {reminder.url} has not been used for a week. It stays open "
            f"until {removal:%d %B %Y}: sign in to keep it another week, or make it "
            "your ISP's own (your data comes along) from the DotMac sign-up page.\n\n"
            "After that date the demo and its sample data are removed.\n"
        ),
    )


async def announce(session: AsyncSession, outbox: Outbox, announcement: Announcement) -> None:
    """Publish the change of the demo's life, once the caller's transaction commits."""
    demo_id, at = UUID(announcement.demo.demo_id), datetime.fromisoformat(announcement.at)
    until = datetime.fromisoformat(announcement.until) if announcement.until else None
    event: IspEvent
    match announcement.kind:
        case "opened":
            assert until is not None
            event = DemoOpened(isp_id=demo_id, url=announcement.url, expires_at=until, opened_at=at)
        case "extended":
            assert until is not None
            event = DemoExtended(isp_id=demo_id, expires_at=until, used_at=at)
        case "reminded":
            assert until is not None
            event = DemoReminded(isp_id=demo_id, removal_at=until, followed_up_at=at)
        case "removed":
            event = DemoRemoved(isp_id=demo_id, removed_at=at)
        case "converted":
            event = DemoConverted(isp_id=demo_id, converted_at=at)
        case _:
            raise ValueError(f"no demo event {announcement.kind!r}")
    await outbox.add(session, event)
