"""Provisioning's demo events, applied to the demos' read model."""

from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts import CloudEvent
from dotmac_contracts.events import (
    DemoConverted,
    DemoExtended,
    DemoOpened,
    DemoReminded,
    DemoRemoved,
)
from registration.demos.service import move
from servicekit.consumer import Subscription


async def on_opened(session: AsyncSession, e: DemoOpened, _: CloudEvent) -> None:
    await move(session, e.isp_id, "active", e.opened_at, url=e.url, expires_at=e.expires_at)


async def on_extended(session: AsyncSession, e: DemoExtended, _: CloudEvent) -> None:
    await move(session, e.isp_id, "active", e.used_at, expires_at=e.expires_at, removal_at=None)


async def on_reminded(session: AsyncSession, e: DemoReminded, _: CloudEvent) -> None:
    await move(session, e.isp_id, "expiring", e.followed_up_at, removal_at=e.removal_at)


async def on_removed(session: AsyncSession, e: DemoRemoved, _: CloudEvent) -> None:
    await move(session, e.isp_id, "removed", e.removed_at, url=None)


async def on_converted(session: AsyncSession, e: DemoConverted, _: CloudEvent) -> None:
    await move(session, e.isp_id, "converted", e.converted_at)


SUBSCRIPTIONS = [
    Subscription(DemoOpened, on_opened),
    Subscription(DemoExtended, on_extended),
    Subscription(DemoReminded, on_reminded),
    Subscription(DemoRemoved, on_removed),
    Subscription(DemoConverted, on_converted),
]
