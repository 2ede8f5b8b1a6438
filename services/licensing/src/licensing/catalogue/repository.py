"""The catalogue's SQL: which catalogue versions have been announced."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from licensing.models import PublishedCatalog


async def record_published(session: AsyncSession, version: str, at: datetime) -> datetime:
    """Record that `version` is announced at `at`, unless it was already. Returns when it was
    first announced."""
    await session.execute(
        insert(PublishedCatalog).values(version=version, published_at=at).on_conflict_do_nothing()
    )
    first = await session.execute(
        select(PublishedCatalog.published_at).where(PublishedCatalog.version == version)
    )
    return first.scalar_one()
