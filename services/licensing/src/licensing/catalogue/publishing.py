"""Announcing the catalogue: once per version, on the first start that carries it."""

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


async def publish_catalog(session: AsyncSession, outbox: Outbox, now: datetime) -> bool:
    """Announce the catalogue unless this version was announced already. True if announced."""
    event = catalog_event(now)
    if not await repository.record_published(session, event.version, now):
        return False
    await outbox.add(session, event)
    return True


async def announce_catalog(runtime: Runtime) -> None:
    """Announce the catalogue as the API starts, unless this version was announced already."""
    async with runtime.db.unit_of_work() as session:
        await publish_catalog(session, runtime.outbox, datetime.now(UTC))
