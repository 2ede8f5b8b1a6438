"""API keys' SQL: the keys of the ISP the unit of work is for."""

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenant_api.models import ApiKey


async def keys(session: AsyncSession) -> list[ApiKey]:
    """Every key, revoked ones too, oldest first."""
    return list((await session.execute(select(ApiKey).order_by(ApiKey.created_at))).scalars())


async def get_for_update(session: AsyncSession, key_id: UUID) -> ApiKey | None:
    """The key, locked until the transaction ends."""
    return await session.get(ApiKey, key_id, with_for_update=True)


async def live_key(session: AsyncSession, key_hash: str) -> ApiKey | None:
    """The key stored under `key_hash`, unless it was revoked (expiry is the caller's to check)."""
    return (
        await session.execute(
            select(ApiKey).where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
        )
    ).scalar_one_or_none()
