"""Branding's SQL: one row per ISP."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenant_api.models import BillingBranding, Tenant


async def get(session: AsyncSession) -> BillingBranding | None:
    return await session.scalar(select(BillingBranding))


async def ensure(session: AsyncSession, tenant_id: UUID, now: datetime) -> BillingBranding:
    found = await session.scalar(select(BillingBranding).with_for_update())
    if found is None:
        found = BillingBranding(tenant_id=tenant_id, updated_at=now)
        session.add(found)
        await session.flush()
    return found


async def tenant_name(session: AsyncSession, tenant_id: UUID) -> str:
    return (await session.scalar(select(Tenant.name).where(Tenant.id == tenant_id))) or ""
