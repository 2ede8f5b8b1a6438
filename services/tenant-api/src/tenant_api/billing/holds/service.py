import uuid
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.problems import NotFound, UnprocessableContent
from tenant_api.billing.holds import repository
from tenant_api.billing.holds.schemas import HoldCreate
from tenant_api.billing.repository import customer_status
from tenant_api.models import BillingHold

LONGEST = timedelta(days=366)
HORIZON = timedelta(days=2 * 366)
"""How far from today a hold may start or end: planned holidays, or one recorded late."""


async def _customer(session: AsyncSession, customer_id: UUID) -> None:
    if await customer_status(session, customer_id) is None:
        raise NotFound(f"No customer {customer_id} at this ISP.")


async def place(
    session: AsyncSession,
    tenant_id: UUID,
    customer_id: UUID,
    spec: HoldCreate,
    *,
    by: str,
    now: datetime,
) -> BillingHold:
    """Days already invoiced stay invoiced: credit them if the hold reaches back."""
    await _customer(session, customer_id)
    if spec.ends_on <= spec.starts_on or spec.ends_on - spec.starts_on > LONGEST:
        raise UnprocessableContent(
            "A hold ends after it starts, and lasts a year at most.", field="ends_on"
        )
    today = now.date()
    if abs(spec.starts_on - today) > HORIZON or abs(spec.ends_on - today) > HORIZON:
        raise UnprocessableContent("A hold lies within two years of today.", field="starts_on")
    if spec.subscription_id is not None and (
        await repository.subscription_customer(session, spec.subscription_id) != customer_id
    ):
        raise UnprocessableContent(
            f"The customer has no subscription {spec.subscription_id}.", field="subscription_id"
        )
    hold = BillingHold(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        customer_id=customer_id,
        created_by=by,
        created_at=now,
        **spec.model_dump(),
    )
    session.add(hold)
    await session.flush()
    return hold


async def holds(session: AsyncSession, customer_id: UUID) -> list[BillingHold]:
    await _customer(session, customer_id)
    return await repository.of_customer(session, customer_id)


async def lift(session: AsyncSession, hold_id: UUID) -> None:
    """Remove the hold: its days are billed by runs not made yet."""
    hold = await repository.get(session, hold_id)
    if hold is None:
        raise NotFound(f"No hold {hold_id} at this ISP.")
    await session.delete(hold)
    await session.flush()
