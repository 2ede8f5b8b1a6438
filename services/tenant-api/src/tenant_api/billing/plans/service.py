import uuid
from datetime import datetime
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.problems import Conflict, NotFound, UnprocessableContent
from tenant_api.billing.plans import repository
from tenant_api.billing.plans.schemas import TERMS, PlanCreate, PlanStatus, PlanUpdate
from tenant_api.billing.repository import customer_status
from tenant_api.billing.settings.service import tax_rate
from tenant_api.models import ServicePlan


async def create_plan(
    session: AsyncSession, tenant_id: UUID, spec: PlanCreate, *, now: datetime
) -> ServicePlan:
    if spec.customer_id is not None:
        if await customer_status(session, spec.customer_id) is None:
            raise UnprocessableContent(
                f"No customer {spec.customer_id} at this ISP to make the package for.",
                field="customer_id",
            )
    else:
        await _check_name_free(session, spec.name)
    if spec.tax_rate_id is not None:
        await tax_rate(session, spec.tax_rate_id)
    plan = ServicePlan(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        **spec.model_dump(),
        status=PlanStatus.ACTIVE.value,
        created_at=now,
    )
    session.add(plan)
    await _flush_unique(session, spec.name)
    return plan


async def get_plan(session: AsyncSession, plan_id: UUID) -> ServicePlan:
    plan = await repository.get(session, plan_id)
    if plan is None:
        raise NotFound(f"No plan {plan_id} at this ISP.")
    return plan


async def update_plan(session: AsyncSession, plan_id: UUID, change: PlanUpdate) -> ServicePlan:
    plan = await get_plan(session, plan_id)
    fields = change.model_fields_set
    values = {f: getattr(change, f) for f in fields}
    if fields & TERMS and await repository.ever_subscribed(session, plan_id):
        changed = sorted(f for f in fields & TERMS if values[f] != getattr(plan, f))
        if changed:
            raise Conflict(
                "Customers have subscribed to this plan, so its terms stay as they were sold: "
                "retire it and create a new plan, then move subscriptions to it.",
                fields=changed,
            )
    if values.get("tax_rate_id") is not None:
        await tax_rate(session, values["tax_rate_id"])
    if "name" in values and plan.customer_id is None and values["name"] != plan.name:
        await _check_name_free(session, values["name"])
    for field, value in values.items():
        setattr(plan, field, value)
    await _flush_unique(session, plan.name)
    return plan


async def retire_plan(session: AsyncSession, plan_id: UUID, *, now: datetime) -> ServicePlan:
    """No one new may take the plan; its subscribers keep it. A repeat changes nothing."""
    plan = await get_plan(session, plan_id)
    if plan.status != PlanStatus.RETIRED:
        plan.status = PlanStatus.RETIRED.value
        plan.retired_at = now
        await session.flush()
    return plan


search = repository.search


async def plan_for(session: AsyncSession, plan_id: UUID, customer_id: UUID) -> ServicePlan:
    """The plan, if this customer may take it now: active, and from the catalogue or the
    customer's own package."""
    plan = await repository.get(session, plan_id)
    if plan is None or (plan.customer_id is not None and plan.customer_id != customer_id):
        raise UnprocessableContent(
            f"No plan {plan_id} this customer can take at this ISP.", field="plan_id"
        )
    if plan.status == PlanStatus.RETIRED:
        raise Conflict(f"Plan {plan.name!r} is retired: no one new can take it.", plan_id=plan_id)
    return plan


async def _check_name_free(session: AsyncSession, name: str) -> None:
    if await repository.catalogue_plan_named(session, name) is not None:
        raise Conflict(f"There is already a plan named {name!r}.", name=name)


async def _flush_unique(session: AsyncSession, name: str) -> None:
    try:
        await session.flush()
    except IntegrityError:  # another request took the name at the same moment
        raise Conflict(f"There is already a plan named {name!r}.", name=name) from None
