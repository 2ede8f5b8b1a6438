"""The demo loader's SQL: whether the tenant is still empty, and who on its staff works tickets."""

from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.problems import Conflict
from tenant_api.models import Customer, Device, ServicePlan, User

STAFF_ROLES = ("support", "admin", "owner")


async def check_empty(session: AsyncSession) -> None:
    for model, what in ((Customer, "customers"), (ServicePlan, "plans"), (Device, "devices")):
        if await session.scalar(select(func.count()).select_from(model)):
            raise Conflict(
                f"This ISP already has {what} of its own: sample data goes only into an empty "
                "tenant.",
                has=what,
            )


async def staff(session: AsyncSession) -> list[UUID]:
    """The people who may work tickets, longest-standing first."""
    found = await session.execute(
        select(User.id).where(User.role.in_(STAFF_ROLES)).order_by(User.created_at)
    )
    return list(found.scalars())
