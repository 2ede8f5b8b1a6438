"""The catalogue's SQL: which catalogue versions have been announced."""

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from licensing.models import PublishedCatalog


async def record_published(session: AsyncSession, version: str, at: datetime) -> bool:
    """Record that `version` is announced at `at`, unless it was already. True if it was not."""
    first = await session.execute(
        insert(PublishedCatalog)
        .values(version=version, published_at=at)
        .on_conflict_do_nothing()
        .returning(PublishedCatalog.version)
    )
    return first.first() is not None
