import uuid
from datetime import date, datetime, timedelta
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.problems import Conflict, NotFound, UnprocessableContent
from tenant_api.billing.periods import period_of
from tenant_api.billing.repository import customer_status
from tenant_api.billing.settings import repository
from tenant_api.billing.settings.schemas import (
    BillingSettingsRead,
    BillingSettingsUpdate,
    CustomerBillingUpdate,
    TaxRateCreate,
)
from tenant_api.models import BillingSettings, CustomerBilling, TaxRate


async def read_settings(session: AsyncSession, tenant_id: UUID) -> BillingSettingsRead:
    """The ISP's settings; the defaults until it sets its own."""
    found = await repository.settings(session)
    values = (
        {c: getattr(found, c) for c in ("currency", "tax_rate_id", "updated_at")}
        | {c: getattr(found, c) for c in repository.DEFAULTS}
        if found
        else {**repository.DEFAULTS, "tax_rate_id": None, "updated_at": None}
    )
    schedule = await repository.schedule(session, tenant_id)
    return BillingSettingsRead(
        **values,
        automatic_runs=schedule is not None,
        next_automatic_run_on=schedule.due_on if schedule else None,
        last_automatic_run_error=schedule.last_error if schedule else None,
    )


def next_period(today: date, billing_day: int) -> tuple[str, date]:
    """The period running on `today` (as `YYYY-MM`), and its end: the day it is billed."""
    start, end = period_of(today, billing_day)
    if start > today:  # before this month's billing day: the period began last month
        start, end = period_of(start - timedelta(days=28), billing_day)
    return f"{start:%Y-%m}", end


async def current(session: AsyncSession, tenant_id: UUID, now: datetime) -> BillingSettings:
    return await repository.ensure(session, tenant_id, now)


async def update_settings(
    session: AsyncSession, tenant_id: UUID, change: BillingSettingsUpdate, *, now: datetime
) -> BillingSettingsRead:
    if change.tax_rate_id is not None:
        await tax_rate(session, change.tax_rate_id)
    settings = await repository.ensure(session, tenant_id, now)
    if change.currency != settings.currency and await repository.has_invoices_not_in(
        session, change.currency
    ):
        raise Conflict(
            "The ISP has invoices in its current currency: it cannot change it.",
            currency=settings.currency,
        )
    for field, value in change.model_dump(exclude={"automatic_runs"}).items():
        setattr(settings, field, value)
    settings.updated_at = now
    await session.flush()
    if change.automatic_runs:
        existing = await repository.schedule(session, tenant_id)
        if existing is not None:  # the period it is waiting for, ending on the new billing day
            period = existing.period
            year, month = (int(part) for part in period.split("-"))
            due_on = period_of(date(year, month, 1), change.billing_day)[1]
        else:
            period, due_on = next_period(now.date(), change.billing_day)
        await repository.set_schedule(session, tenant_id, period, due_on, now)
    else:
        await repository.drop_schedule(session, tenant_id)
    return await read_settings(session, tenant_id)


async def tax_rate(session: AsyncSession, tax_rate_id: UUID) -> TaxRate:
    """The ISP's tax rate; 422 if it has none with that id (it is named in a body)."""
    found = await repository.tax_rate(session, tax_rate_id)
    if found is None:
        raise UnprocessableContent(f"No tax rate {tax_rate_id} at this ISP.", field="tax_rate_id")
    return found


async def create_tax_rate(
    session: AsyncSession, tenant_id: UUID, spec: TaxRateCreate, *, now: datetime
) -> TaxRate:
    if await repository.tax_rate_named(session, spec.name):
        raise Conflict(f"There is already a tax rate named {spec.name!r}.", name=spec.name)
    rate = TaxRate(id=uuid.uuid4(), tenant_id=tenant_id, created_at=now, **spec.model_dump())
    session.add(rate)
    try:
        await session.flush()
    except IntegrityError:  # the same name, created at the same moment
        raise Conflict(f"There is already a tax rate named {spec.name!r}.") from None
    return rate


tax_rates = repository.tax_rates


async def customer_billing(session: AsyncSession, customer_id: UUID) -> CustomerBilling | None:
    if await customer_status(session, customer_id) is None:
        raise NotFound(f"No customer {customer_id} at this ISP.")
    return await repository.customer_billing(session, customer_id)


async def update_customer_billing(
    session: AsyncSession,
    tenant_id: UUID,
    customer_id: UUID,
    change: CustomerBillingUpdate,
    *,
    now: datetime,
) -> CustomerBilling:
    found = await customer_billing(session, customer_id)
    if change.tax_rate_id is not None:
        await tax_rate(session, change.tax_rate_id)
    if found is None:
        found = CustomerBilling(customer_id=customer_id, tenant_id=tenant_id)
        session.add(found)
    found.tax_rate_id, found.updated_at = change.tax_rate_id, now
    await session.flush()
    return found
