"""Provisioning's demo events, applied to the demos' read model."""

from dotmac_contracts.events import (
    DemoConverted,
    DemoExtended,
    DemoOpened,
    DemoReminded,
    DemoRemoved,
)
from registration.demos.service import move
from servicekit.stream import Session


async def on_opened(e: DemoOpened, session: Session) -> None:
    await move(session, e.isp_id, "active", e.opened_at, url=e.url, expires_at=e.expires_at)


async def on_extended(e: DemoExtended, session: Session) -> None:
    await move(session, e.isp_id, "active", e.used_at, expires_at=e.expires_at, removal_at=None)


async def on_reminded(e: DemoReminded, session: Session) -> None:
    await move(session, e.isp_id, "expiring", e.followed_up_at, removal_at=e.removal_at)


async def on_removed(e: DemoRemoved, session: Session) -> None:
    await move(session, e.isp_id, "removed", e.removed_at, url=None)


async def on_converted(e: DemoConverted, session: Session) -> None:
    await move(session, e.isp_id, "converted", e.converted_at)


SUBSCRIBERS = (
    on_opened,
    on_extended,
    on_reminded,
    on_removed,
    on_converted,
)
