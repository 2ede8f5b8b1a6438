"""Customers, within the tier's customer cap. Creating one takes a per-tenant lock, so two at
once cannot both take the last place under the cap; the new count is published for billing
(metering) and licensing (tier changes) in the same transaction."""

import uuid
from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.events import CustomersCounted
from servicekit.outbox import Outbox
from servicekit.problems import NotFound, Problem
from tenant_api.customers.schemas import CustomerCreate
from tenant_api.models import Customer


class CustomerCapReached(Problem):
    status, title, slug = 403, "Customer cap reached", "customer-cap-reached"


async def count(session: AsyncSession) -> int:
    return (await session.execute(select(func.count()).select_from(Customer))).scalar_one()


async def create_customer(
    session: AsyncSession,
    outbox: Outbox,
    tenant_id: UUID,
    spec: CustomerCreate,
    *,
    tier: str | None,
    cap: int | None,
    now: datetime,
) -> Customer:
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:t, 0))"),
        {"t": f"customers:{tenant_id}"},
    )
    customers = await count(session)
    if cap is not None and customers >= cap:
        raise CustomerCapReached(
            f"This ISP has {customers} customers, the most the {tier} tier allows ({cap}); "
            "move to a higher tier to add more.",
            customer_cap=cap,
            customers=customers,
            tier=tier,
        )
    customer = Customer(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        account_number=f"C{customers + 1:07d}",
        name=spec.name,
        email=str(spec.email).lower() if spec.email else None,
        phone=spec.phone,
        status=spec.status.value,
        created_at=now,
        updated_at=now,
    )
    session.add(customer)
    await session.flush()
    await outbox.add(
        session, CustomersCounted(isp_id=tenant_id, customers=customers + 1, counted_at=now)
    )
    return customer


async def get_customer(session: AsyncSession, customer_id: UUID) -> Customer:
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"No customer {customer_id} at this ISP.")
    return customer


async def list_customers(
    session: AsyncSession, *, limit: int, offset: int
) -> tuple[list[Customer], int]:
    rows = (
        await session.execute(
            select(Customer).order_by(Customer.account_number).limit(limit).offset(offset)
        )
    ).scalars()
    return list(rows), await count(session)
