"""Imports' SQL: the uploaded imports, the customers and catalogue plans their rows are checked
against, and the batched inserts that commit them."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.db import insert_rows
from tenant_api.billing.plans.schemas import PlanStatus
from tenant_api.models import (
    Customer,
    CustomerImport,
    CustomerStatusChange,
    ServicePlan,
    Subscription,
)


async def get(
    session: AsyncSession, import_id: UUID, *, lock: bool = False
) -> CustomerImport | None:
    """The import; with `lock`, held (`FOR UPDATE`) until the transaction ends, so that two
    commits of one import cannot both run."""
    query = select(CustomerImport).where(CustomerImport.id == import_id)
    return (await session.execute(query.with_for_update() if lock else query)).scalar()


async def customers_numbered(session: AsyncSession, numbers: Sequence[str]) -> dict[str, UUID]:
    """The customers that have any of these account numbers: number -> customer id."""
    if not numbers:
        return {}
    found = await session.execute(
        select(Customer.account_number, Customer.id).where(Customer.account_number.in_(numbers))
    )
    return {number: customer_id for number, customer_id in found}


async def customers_emailed(session: AsyncSession, emails: Sequence[str]) -> dict[str, UUID]:
    """The customers that have any of these (lower-case) emails: email -> the customer with the
    lowest account number among those that have it."""
    taken: dict[str, UUID] = {}
    if not emails:
        return taken
    found = await session.execute(
        select(Customer.email, Customer.id)
        .where(Customer.email.in_(emails))
        .order_by(Customer.account_number)
    )
    for email, customer_id in found:
        taken.setdefault(email or "", customer_id)
    return taken


async def catalogue_plans(session: AsyncSession) -> dict[str, UUID]:
    """The catalogue's active plans (not custom packages): name -> plan id."""
    found = await session.execute(
        select(ServicePlan.name, ServicePlan.id).where(
            ServicePlan.customer_id.is_(None), ServicePlan.status == PlanStatus.ACTIVE.value
        )
    )
    return {name: plan_id for name, plan_id in found}


async def insert_customers(
    session: AsyncSession,
    customers: Sequence[dict[str, Any]],
    history: Sequence[dict[str, Any]],
    subscriptions: Sequence[dict[str, Any]],
) -> None:
    """Insert the customers, their first status change and their subscriptions (rows of
    column values), in batched multi-row INSERTs."""
    await insert_rows(session, Customer, customers)
    await insert_rows(session, CustomerStatusChange, history)
    await insert_rows(session, Subscription, subscriptions)
