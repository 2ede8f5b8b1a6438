"""Announcing the catalogue at every start, dated when its version was first announced.

Every start announces it, so a subscriber that missed it (a stream lost or purged, a service
whose database was restored) hears it again; the date stays that of the version's first
announcement, so a repeat changes nothing and an older version, still running somewhere during
an upgrade, never displaces a newer one (subscribers keep the latest-dated)."""

import hashlib
import json
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.events import TierCatalogPublished, TierTerms
from licensing.catalogue import repository
from licensing.catalogue.schemas import catalogue
from licensing.catalogue.tiers import PLUGIN_REGISTRY
from servicekit.outbox import Outbox
from servicekit.runtime import Runtime


def catalog_event(now: datetime) -> TierCatalogPublished:
    tiers = [TierTerms(**t.model_dump(exclude={"resources"})) for t in catalogue().tiers]
    plugins = dict(PLUGIN_REGISTRY)
    content = json.dumps(
        {"tiers": [t.model_dump(mode="json") for t in tiers], "plugins": plugins}, sort_keys=True
    )
    version = hashlib.sha256(content.encode()).hexdigest()[:32]
    return TierCatalogPublished(version=version, tiers=tiers, plugins=plugins, published_at=now)


async def publish_catalog(
    session: AsyncSession, outbox: Outbox, now: datetime
) -> TierCatalogPublished:
    """Announce the catalogue, dated when this version was first announced."""
    event = catalog_event(now)
    first = await repository.record_published(session, event.version, now)
    event = event.model_copy(update={"published_at": first})
    await outbox.add(session, event)
    return event


async def announce_catalog(runtime: Runtime) -> None:
    """Announce the catalogue as the API starts."""
    async with runtime.db.unit_of_work() as session:
        await publish_catalog(session, runtime.outbox, datetime.now(UTC))
