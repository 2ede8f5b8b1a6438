"""Plans' SQL: the ISP's service plans, and whether anyone ever subscribed to one."""

from typing import Any
from uuid import UUID

from sqlalchemy import Select, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenant_api.billing.plans.schemas import PlanStatus
from tenant_api.listing import contains
from tenant_api.models import ServicePlan, Subscription


async def get(session: AsyncSession, plan_id: UUID) -> ServicePlan | None:
    return await session.get(ServicePlan, plan_id)


async def catalogue_plan_named(session: AsyncSession, name: str) -> UUID | None:
    """The catalogue plan (not a custom package) with exactly this name, if there is one."""
    return await session.scalar(
        select(ServicePlan.id).where(ServicePlan.name == name, ServicePlan.customer_id.is_(None))
    )


async def ever_subscribed(session: AsyncSession, plan_id: UUID) -> bool:
    """Whether any subscription, running or ended, was ever to the plan."""
    return bool(await session.scalar(select(exists().where(Subscription.plan_id == plan_id))))


def search(
    *,
    q: str | None = None,
    status: PlanStatus | None = None,
    customer_id: UUID | None = None,
    custom: bool | None = None,
) -> Select[Any]:
    """The plans matching every filter given: the catalogue first, then custom packages,
    cheapest first."""
    query = select(ServicePlan)
    if q:
        query = query.where(contains(ServicePlan.name, q))
    if status:
        query = query.where(ServicePlan.status == status.value)
    if customer_id:
        query = query.where(ServicePlan.customer_id == customer_id)
    if custom is not None:
        query = query.where(
            ServicePlan.customer_id.is_not(None) if custom else ServicePlan.customer_id.is_(None)
        )
    return query.order_by(ServicePlan.customer_id.nulls_first(), ServicePlan.price, ServicePlan.id)
