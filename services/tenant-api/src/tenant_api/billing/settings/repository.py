"""Billing settings' SQL: the ISP's settings row (and the invoice number counter in it), its
tax rates, and its customers' own taxes."""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import delete, exists, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.db import table_of
from tenant_api.billing.documents import issued
from tenant_api.models import BillingSettings, BillSchedule, CustomerBilling, Invoice, TaxRate

DEFAULTS = {
    "currency": "USD",
    "invoice_prefix": "INV-",
    "next_invoice_number": 1,
    "payment_terms_days": 14,
    "billing_day": 1,
}


async def settings(session: AsyncSession) -> BillingSettings | None:
    return await session.scalar(select(BillingSettings))


async def ensure(session: AsyncSession, tenant_id: UUID, now: datetime) -> BillingSettings:
    """The ISP's settings, made with the defaults if it has none yet."""
    await session.execute(
        insert(table_of(BillingSettings))
        .values(tenant_id=tenant_id, updated_at=now, **DEFAULTS)
        .on_conflict_do_nothing(index_elements=["tenant_id"])
    )
    found = await settings(session)
    assert found is not None
    return found


async def take_invoice_numbers(session: AsyncSession, n: int) -> tuple[int, str]:
    """`n` consecutive invoice numbers: the first, and the prefix. The counter row stays locked
    (FOR UPDATE) until the transaction ends, so concurrent issuers queue, and a rollback
    returns the numbers: none is ever skipped. The settings must exist (`ensure`). The numbers
    are recorded for the mailer, which mails their invoices once this commits."""
    found = await session.execute(
        select(
            BillingSettings.next_invoice_number,
            BillingSettings.invoice_prefix,
            BillingSettings.tenant_id,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    first, prefix, tenant_id = found.one()
    await session.execute(
        update(BillingSettings)
        .values(next_invoice_number=first + n)
        .execution_options(synchronize_session=False)
    )
    await issued.numbers_taken(session, tenant_id, first, n)
    return first, prefix


def invoice_number(prefix: str, sequence_number: int) -> str:
    return f"{prefix}{sequence_number:06d}"


async def tax_rate(session: AsyncSession, tax_rate_id: UUID) -> TaxRate | None:
    return await session.get(TaxRate, tax_rate_id)


async def tax_rate_named(session: AsyncSession, name: str) -> UUID | None:
    return await session.scalar(select(TaxRate.id).where(TaxRate.name == name))


async def tax_rates(session: AsyncSession) -> list[TaxRate]:
    found = await session.execute(select(TaxRate).order_by(TaxRate.name, TaxRate.id))
    return list(found.scalars())


async def customer_billing(session: AsyncSession, customer_id: UUID) -> CustomerBilling | None:
    return await session.get(CustomerBilling, customer_id)


async def has_invoices_not_in(session: AsyncSession, currency: str) -> bool:
    return bool(await session.scalar(select(exists().where(Invoice.currency != currency))))


async def schedule(session: AsyncSession, tenant_id: UUID) -> BillSchedule | None:
    return await session.get(BillSchedule, tenant_id)


async def set_schedule(
    session: AsyncSession, tenant_id: UUID, period: str, due_on: date, now: datetime
) -> None:
    """Bill `period` automatically from `due_on` on (replacing any schedule the ISP had)."""
    table = table_of(BillSchedule)
    await session.execute(
        insert(table)
        .values(tenant_id=tenant_id, period=period, due_on=due_on, updated_at=now)
        .on_conflict_do_update(
            index_elements=[table.c.tenant_id],
            set_={"period": period, "due_on": due_on, "updated_at": now},
        )
    )


async def drop_schedule(session: AsyncSession, tenant_id: UUID) -> None:
    await session.execute(delete(BillSchedule).where(BillSchedule.tenant_id == tenant_id))


async def claim_due(session: AsyncSession, today: date, limit: int) -> list[BillSchedule]:
    """Schedules due by `today`, locked (FOR UPDATE SKIP LOCKED) until the transaction ends:
    another replica's scheduler passes them by."""
    found = await session.execute(
        select(BillSchedule)
        .where(BillSchedule.due_on <= today)
        .order_by(BillSchedule.due_on, BillSchedule.tenant_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(found.scalars())
