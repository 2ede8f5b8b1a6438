"""Tenants' SQL: the ISPs this framework serves, one row each in the `tenant` schema (outside
row-level security: a tenant row is found before anyone knows whose request it is)."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tenant_api.models import Tenant

# Built once: a statement built per lookup spent more CPU on its cache key than on running.
_AT_HOST = select(Tenant).where(Tenant.host == bindparam("key"))
_WITH_ID = select(Tenant).where(Tenant.id == bindparam("key"))


async def at_host(session: AsyncSession, host: str) -> Tenant | None:
    """The tenant at `host` (bare, lower-case), read from the database."""
    return (await session.execute(_AT_HOST, {"key": host})).scalar_one_or_none()


async def with_id(session: AsyncSession, tenant_id: UUID) -> Tenant | None:
    """The tenant with this id, read from the database (not from the session's identity map)."""
    return (await session.execute(_WITH_ID, {"key": tenant_id})).scalar_one_or_none()


async def get(session: AsyncSession, tenant_id: UUID) -> Tenant | None:
    return await session.get(Tenant, tenant_id)


async def get_for_update(session: AsyncSession, tenant_id: UUID) -> Tenant | None:
    """The tenant, locked until the transaction ends."""
    return await session.get(Tenant, tenant_id, with_for_update=True)


async def delete(session: AsyncSession, tenant: Tenant) -> None:
    """Delete the tenant; the database deletes its rows in the shared tables with it."""
    await session.delete(tenant)


async def slug_or_host_taken(
    session: AsyncSession, slug: str, host: str, *, besides: UUID | None = None
) -> bool:
    """Whether a tenant (other than `besides`) has this slug or this host."""
    taken = (Tenant.slug == slug) | (Tenant.host == host)
    if besides is not None:
        taken = taken & (Tenant.id != besides)
    return (await session.execute(select(Tenant.id).where(taken))).first() is not None


async def mark_demo_used(
    session: AsyncSession, tenant_id: UUID, *, now: datetime, unless_since: datetime
) -> bool:
    """Record that the demo tenant was used at `now`, unless it is no demo or its use was
    recorded after `unless_since`. True if recorded."""
    marked = await session.execute(
        update(Tenant)
        .where(
            Tenant.id == tenant_id,
            Tenant.demo,
            (Tenant.last_used_at.is_(None)) | (Tenant.last_used_at < unless_since),
        )
        .values(last_used_at=now)
        .returning(Tenant.id)
        .execution_options(synchronize_session=False)
    )
    return marked.first() is not None
