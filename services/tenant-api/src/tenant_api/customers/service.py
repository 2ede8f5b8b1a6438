"""Customers: who they are, where they are served, their status and its history, notes.

The tier's customer cap counts customers that are not cancelled. Creating one takes a
per-tenant lock, so two at once cannot both take the last place under the cap; every change of
that count is published (`CustomersCounted`, for billing's metering and licensing's tier checks)
in the same transaction.
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.events import CustomersCounted
from servicekit.db import table_of
from servicekit.outbox import Outbox
from servicekit.problems import Conflict, NotFound, Problem, TransitionRefused, UnprocessableContent
from tenant_api.customers.schemas import (
    NEEDS_REASON,
    TRANSITIONS,
    CustomerCreate,
    CustomerKind,
    CustomerSort,
    CustomerStatus,
    CustomerUpdate,
    NoteCreate,
    StatusChange,
)
from tenant_api.entitlements.store import EntitlementStore
from tenant_api.listing import contains
from tenant_api.models import (
    AccountNumbers,
    Customer,
    CustomerNote,
    CustomerStatusChange,
    Subscription,
)


class CustomerCapReached(Problem):
    status, title, slug = 403, "Customer cap reached", "customer-cap-reached"


@dataclass(frozen=True)
class Cap:
    """The tier's customer cap, as the tenant's licence has it (None: unlimited)."""

    tier: str | None
    customers: int | None


def cap_of(entitlements: EntitlementStore, tenant_id: UUID) -> Cap:
    """The cap the tenant's licence sets; with no licence, no customer at all."""
    grant = entitlements.grant(tenant_id)
    if grant is None:
        return Cap(tier=None, customers=0)
    return Cap(tier=grant.tier, customers=grant.customer_cap)


async def lock_customers(session: AsyncSession, tenant_id: UUID) -> None:
    """Serialize what changes how many customers the tenant has, until the transaction ends."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:t, 0))"),
        {"t": f"customers:{tenant_id}"},
    )


async def count(session: AsyncSession) -> int:
    """Customers that count against the cap: every one not cancelled."""
    return (
        await session.execute(
            select(func.count())
            .select_from(Customer)
            .where(Customer.status != CustomerStatus.CANCELLED)
        )
    ).scalar_one()


def check_cap(cap: Cap, customers: int, adding: int = 1) -> None:
    if cap.customers is not None and customers + adding > cap.customers:
        raise CustomerCapReached(
            f"This ISP has {customers} customers and the {cap.tier} tier allows {cap.customers}; "
            f"adding {adding} would pass it. Move to a higher tier to add more.",
            customer_cap=cap.customers,
            customers=customers,
            tier=cap.tier,
        )


async def allocate_account_numbers(session: AsyncSession, tenant_id: UUID, n: int) -> list[str]:
    """`n` account numbers never given before (the caller holds the customers lock)."""
    counter = table_of(AccountNumbers)
    taken = (
        await session.execute(
            insert(counter)
            .values(tenant_id=tenant_id, next_number=n + 1)
            .on_conflict_do_update(
                index_elements=[counter.c.tenant_id],
                set_={"next_number": counter.c.next_number + n},
            )
            .returning(counter.c.next_number - n)
        )
    ).scalar_one()
    numbers = [f"C{taken + i:07d}" for i in range(n)]
    clashes = set(
        (
            await session.execute(
                select(Customer.account_number).where(Customer.account_number.in_(numbers))
            )
        ).scalars()
    )
    if clashes:  # the ISP brought its own numbers in this range: take the next ones instead
        numbers = [x for x in numbers if x not in clashes]
        numbers += await allocate_account_numbers(session, tenant_id, len(clashes))
    return numbers


async def publish_count(
    session: AsyncSession, outbox: Outbox, tenant_id: UUID, customers: int, now: datetime
) -> None:
    await outbox.add(
        session, CustomersCounted(isp_id=tenant_id, customers=customers, counted_at=now)
    )


async def create_customer(
    session: AsyncSession,
    outbox: Outbox,
    tenant_id: UUID,
    spec: CustomerCreate,
    *,
    cap: Cap,
    now: datetime,
    by: str,
) -> Customer:
    if spec.status not in (CustomerStatus.LEAD, CustomerStatus.ACTIVE):
        raise UnprocessableContent(
            "A new customer is a lead or active.", field="status", value=spec.status.value
        )
    await lock_customers(session, tenant_id)
    customers = await count(session)
    check_cap(cap, customers)
    if spec.reseller_id is not None:
        await _check_reseller(session, spec.reseller_id)
    if spec.account_number is not None:
        await _check_account_number_free(session, spec.account_number)
        number = spec.account_number
    else:
        (number,) = await allocate_account_numbers(session, tenant_id, 1)
    customer = Customer(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        account_number=number,
        name=spec.name,
        kind=spec.kind.value,
        reseller_id=spec.reseller_id,
        email=_email(spec.email),
        phone=spec.phone,
        contact_address=_address(spec.contact_address),
        service_address=_address(spec.service_address),
        tags=spec.tags,
        status=spec.status.value,
        status_changed_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(customer)
    session.add(_history(customer, None, spec.status, None, now, by))
    await session.flush()
    await publish_count(session, outbox, tenant_id, customers + 1, now)
    await session.refresh(customer)  # the search text Postgres computed
    return customer


async def get_customer(session: AsyncSession, customer_id: UUID) -> Customer:
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"No customer {customer_id} at this ISP.")
    return customer


async def update_customer(
    session: AsyncSession, customer_id: UUID, change: CustomerUpdate, *, now: datetime
) -> Customer:
    customer = await get_customer(session, customer_id)
    fields = change.model_fields_set
    for required in fields & {"name", "kind"}:
        if getattr(change, required) is None:
            raise UnprocessableContent(f"A customer's {required} cannot be cleared.")
    values: dict[str, Any] = {}
    for field in fields:
        value = getattr(change, field)
        if field == "email":
            value = _email(value)
        elif field in ("contact_address", "service_address"):
            value = _address(value)
        elif field == "kind":
            value = value.value
        elif field == "reseller_id" and value is not None:
            if value == customer.id:
                raise UnprocessableContent("A customer cannot be its own reseller.")
            await _check_reseller(session, value)
        values[field] = value
    if values:
        values["updated_at"] = now
        for field, value in values.items():
            setattr(customer, field, value)
        await session.flush()
        await session.refresh(customer)
    return customer


async def change_status(
    session: AsyncSession,
    outbox: Outbox,
    tenant_id: UUID,
    customer_id: UUID,
    change: StatusChange,
    *,
    now: datetime,
    by: str,
) -> tuple[Customer, CustomerStatus | None]:
    """The customer, and the status it moved from (None when it was there already)."""
    await lock_customers(session, tenant_id)
    customer = await get_customer(session, customer_id)
    current = CustomerStatus(customer.status)
    if change.status == current:
        return customer, None  # already so: a repeat changes nothing
    if change.status not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "nothing: it is final"
        raise TransitionRefused(
            f"A {current.value} customer cannot become {change.status.value}; "
            f"it can become {allowed}.",
            status_now=current.value,
            allowed=sorted(TRANSITIONS[current]),
        )
    if change.status in NEEDS_REASON and not change.reason:
        raise UnprocessableContent(
            f"Say why the customer is {change.status.value}: send a reason.", field="reason"
        )
    customer.status = change.status.value
    customer.status_reason = change.reason
    customer.status_changed_at = now
    customer.updated_at = now
    session.add(_history(customer, current, change.status, change.reason, now, by))
    if change.status == CustomerStatus.CANCELLED:
        await _end_subscriptions(session, customer.id, now.date(), change.reason)
        await session.flush()
        await publish_count(session, outbox, tenant_id, await count(session), now)
    await session.flush()
    return customer, current


async def status_history(session: AsyncSession, customer_id: UUID) -> list[CustomerStatusChange]:
    await get_customer(session, customer_id)
    return list(
        (
            await session.execute(
                select(CustomerStatusChange)
                .where(CustomerStatusChange.customer_id == customer_id)
                .order_by(CustomerStatusChange.changed_at, CustomerStatusChange.id)
            )
        ).scalars()
    )


def search(
    *,
    q: str | None = None,
    status: list[CustomerStatus] | None = None,
    kind: CustomerKind | None = None,
    tags: list[str] | None = None,
    reseller_id: UUID | None = None,
    created_from: date | None = None,
    created_to: date | None = None,
    sort: CustomerSort = CustomerSort.ACCOUNT_NUMBER,
) -> Select[Any]:
    """The customers matching every filter given. `q` matches any part of the name, email,
    phone, account number or either address."""
    query = select(Customer)
    if q:
        query = query.where(contains(Customer.search_text, q, lowered=True))
    if status:
        query = query.where(Customer.status.in_([s.value for s in status]))
    if kind:
        query = query.where(Customer.kind == kind.value)
    if tags:
        query = query.where(Customer.tags.contains([t.lower() for t in tags]))
    if reseller_id:
        query = query.where(Customer.reseller_id == reseller_id)
    if created_from:
        query = query.where(func.date(Customer.created_at) >= created_from)
    if created_to:
        query = query.where(func.date(Customer.created_at) <= created_to)
    order = {
        CustomerSort.ACCOUNT_NUMBER: (Customer.account_number,),
        CustomerSort.NAME: (Customer.name, Customer.account_number),
        CustomerSort.NEWEST: (Customer.created_at.desc(), Customer.id),
        CustomerSort.OLDEST: (Customer.created_at, Customer.id),
    }[sort]
    return query.order_by(*order)


async def add_note(
    session: AsyncSession,
    tenant_id: UUID,
    customer_id: UUID,
    spec: NoteCreate,
    *,
    now: datetime,
    by: str,
) -> CustomerNote:
    await get_customer(session, customer_id)
    note = CustomerNote(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        customer_id=customer_id,
        body=spec.body,
        author=by,
        created_at=now,
    )
    session.add(note)
    await session.flush()
    return note


async def notes(session: AsyncSession, customer_id: UUID) -> list[CustomerNote]:
    await get_customer(session, customer_id)
    return list(
        (
            await session.execute(
                select(CustomerNote)
                .where(CustomerNote.customer_id == customer_id)
                .order_by(CustomerNote.created_at.desc(), CustomerNote.id)
            )
        ).scalars()
    )


async def _check_reseller(session: AsyncSession, reseller_id: UUID) -> None:
    kind = await session.scalar(select(Customer.kind).where(Customer.id == reseller_id))
    if kind != CustomerKind.RESELLER:
        raise UnprocessableContent(
            f"No reseller {reseller_id} at this ISP: name a customer of kind reseller.",
            field="reseller_id",
        )


async def _check_account_number_free(session: AsyncSession, number: str) -> None:
    exists = await session.scalar(
        select(Customer.id).where(Customer.account_number == number).limit(1)
    )
    if exists:
        raise Conflict(f"Account number {number} is already a customer's.", account_number=number)


async def _end_subscriptions(
    session: AsyncSession, customer_id: UUID, on: date, reason: str | None
) -> None:
    await session.execute(
        update(Subscription)
        .where(Subscription.customer_id == customer_id, Subscription.ends_on.is_(None))
        .values(
            ends_on=func.greatest(Subscription.starts_on, on),
            end_reason="cancelled",
            cancellation_reason=reason,
        )
    )


def _history(
    customer: Customer,
    before: CustomerStatus | None,
    after: CustomerStatus,
    reason: str | None,
    now: datetime,
    by: str,
) -> CustomerStatusChange:
    return CustomerStatusChange(
        id=uuid.uuid4(),
        tenant_id=customer.tenant_id,
        customer_id=customer.id,
        from_status=before.value if before else None,
        to_status=after.value,
        reason=reason,
        changed_at=now,
        changed_by=by,
    )


def _email(email: str | None) -> str | None:
    return str(email).lower() if email else None


def _address(address: Any) -> dict[str, Any] | None:
    return address.model_dump(exclude_none=True) if address is not None else None
