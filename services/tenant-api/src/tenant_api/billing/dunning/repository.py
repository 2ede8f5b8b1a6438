"""Dunning's SQL: its settings and schedule, what is open and owed, and what it did."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, and_, delete, exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.db import table_of
from tenant_api.billing.dunning.rules import Account, OpenInvoice
from tenant_api.billing.invoices.repository import OPEN
from tenant_api.billing.payments.repository import unallocated_column
from tenant_api.models import (
    Customer,
    CustomerBilling,
    CustomerStatusChange,
    DunningAction,
    DunningSchedule,
    DunningSettings,
    Invoice,
    Payment,
)
from tenant_api.vocabulary import DUNNING


async def settings(session: AsyncSession) -> DunningSettings | None:
    return await session.scalar(select(DunningSettings))


async def open_invoices(
    session: AsyncSession, customer_id: UUID | None = None
) -> list[OpenInvoice]:
    """Every issued invoice with a balance and a due date (of one customer, or all), with what
    dunning did about it."""
    fee = table_of(DunningAction).alias("fee")
    reminded = (
        select(func.max(DunningAction.step))
        .where(DunningAction.invoice_id == Invoice.id, DunningAction.kind == "reminder")
        .correlate(Invoice)
        .scalar_subquery()
    )
    is_fee = exists().where(fee.c.fee_invoice_id == Invoice.id)
    charged = exists().where(
        and_(DunningAction.invoice_id == Invoice.id, DunningAction.kind == "late_fee")
    )
    query = (
        select(
            Invoice.id,
            Invoice.customer_id,
            Invoice.number,
            Invoice.due_on,
            Invoice.total - Invoice.amount_paid - Invoice.amount_credited,
            is_fee,
            charged,
            reminded,
        )
        .where(
            Invoice.kind == "invoice",
            Invoice.status.in_(OPEN),
            Invoice.due_on.is_not(None),
            Invoice.total - Invoice.amount_paid - Invoice.amount_credited > 0,
        )
        .order_by(Invoice.due_on, Invoice.sequence_number, Invoice.id)
    )
    if customer_id is not None:
        query = query.where(Invoice.customer_id == customer_id)
    found = await session.execute(query)
    return [OpenInvoice(*row) for row in found.all()]


def _suspended_by_dunning() -> Any:
    latest = (
        select(CustomerStatusChange.changed_by)
        .where(CustomerStatusChange.customer_id == Customer.id)
        .order_by(CustomerStatusChange.changed_at.desc(), CustomerStatusChange.id.desc())
        .limit(1)
        .correlate(Customer)
        .scalar_subquery()
    )
    return and_(Customer.status == "suspended", latest == DUNNING)


async def accounts(session: AsyncSession, customer_ids: list[UUID]) -> dict[UUID, Account]:
    """The accounts of these customers and of every customer dunning suspended."""
    credit = (
        select(func.coalesce(func.sum(unallocated_column()), 0))
        .where(Payment.customer_id == Customer.id)
        .correlate(Customer)
        .scalar_subquery()
    )
    by_dunning = _suspended_by_dunning()
    found = await session.execute(
        select(
            Customer.id,
            Customer.status,
            func.coalesce(CustomerBilling.never_suspend, False),
            credit,
            by_dunning,
        )
        .outerjoin(CustomerBilling, CustomerBilling.customer_id == Customer.id)
        .where(Customer.id.in_(customer_ids) | by_dunning)
    )
    return {
        row[0]: Account(row[0], row[1], bool(row[2]), int(row[3]), bool(row[4]))
        for row in found.all()
    }


async def account(session: AsyncSession, customer_id: UUID) -> Account | None:
    found = await accounts(session, [customer_id])
    return found.get(customer_id)


async def contact(session: AsyncSession, customer_id: UUID) -> tuple[str, str | None]:
    found = await session.execute(
        select(Customer.name, Customer.email).where(Customer.id == customer_id)
    )
    name, email = found.one()
    return name, email


async def record(session: AsyncSession, values: dict[str, Any]) -> UUID | None:
    """Add an action; None if it was done already (a reminder's step, an invoice's fee)."""
    table = table_of(DunningAction)
    statement = insert(table).values(**values).on_conflict_do_nothing().returning(table.c.id)
    return await session.scalar(statement)


async def never_suspend(session: AsyncSession, customer_id: UUID) -> bool:
    found = await session.scalar(
        select(CustomerBilling.never_suspend).where(CustomerBilling.customer_id == customer_id)
    )
    return bool(found)


async def set_never_suspend(
    session: AsyncSession, tenant_id: UUID, customer_id: UUID, value: bool, now: datetime
) -> None:
    table = table_of(CustomerBilling)
    await session.execute(
        insert(table)
        .values(customer_id=customer_id, tenant_id=tenant_id, never_suspend=value, updated_at=now)
        .on_conflict_do_update(
            index_elements=[table.c.customer_id],
            set_={"never_suspend": value, "updated_at": now},
        )
    )


def search(
    *, customer_id: UUID | None = None, invoice_id: UUID | None = None, kind: str | None = None
) -> Select[Any]:
    query = select(DunningAction)
    if customer_id:
        query = query.where(DunningAction.customer_id == customer_id)
    if invoice_id:
        query = query.where(DunningAction.invoice_id == invoice_id)
    if kind:
        query = query.where(DunningAction.kind == kind)
    return query.order_by(DunningAction.created_at.desc(), DunningAction.id)


async def schedule(session: AsyncSession, tenant_id: UUID) -> DunningSchedule | None:
    return await session.get(DunningSchedule, tenant_id, populate_existing=True)


async def set_schedule(session: AsyncSession, tenant_id: UUID, due_on: date, now: datetime) -> None:
    table = table_of(DunningSchedule)
    await session.execute(
        insert(table)
        .values(tenant_id=tenant_id, due_on=due_on, updated_at=now)
        .on_conflict_do_update(
            index_elements=[table.c.tenant_id], set_={"due_on": due_on, "updated_at": now}
        )
    )


async def drop_schedule(session: AsyncSession, tenant_id: UUID) -> None:
    await session.execute(delete(DunningSchedule).where(DunningSchedule.tenant_id == tenant_id))


async def claim_due(session: AsyncSession, today: date, limit: int) -> list[DunningSchedule]:
    """Passes due by `today`, locked (FOR UPDATE SKIP LOCKED): another replica passes them by."""
    found = await session.execute(
        select(DunningSchedule)
        .where(DunningSchedule.due_on <= today)
        .order_by(DunningSchedule.due_on, DunningSchedule.tenant_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(found.scalars())
