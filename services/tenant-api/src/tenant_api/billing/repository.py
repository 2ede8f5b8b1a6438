"""Billing's SQL about the ISP's customers: it bills them, but they are the customers
context's; billing reads the little it needs."""

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenant_api.models import Customer


async def customer_status(session: AsyncSession, customer_id: UUID) -> str | None:
    """The customer's status, or None if the ISP has no such customer."""
    return await session.scalar(select(Customer.status).where(Customer.id == customer_id))
