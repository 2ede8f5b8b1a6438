"""Customers: who they are, where they are served, their status and its history, notes.

The tier's customer cap counts customers that are not cancelled. Creating one takes a
per-tenant lock, so two at once cannot both take the last place under the cap; every change of
that count is recorded in the same transaction (`tenant.customer_counts`, due to be announced),
and the announcer (`tenant_api.customers.counts`) publishes the due counts of many ISPs at once
in `CustomersCounted`, for billing's metering and licensing's tier checks.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.problems import Conflict, NotFound, Problem, TransitionRefused, UnprocessableContent
from tenant_api.customers import repository
from tenant_api.customers.schemas import (
    NEEDS_REASON,
    TRANSITIONS,
    CustomerCreate,
    CustomerKind,
    CustomerStatus,
    CustomerUpdate,
    NoteCreate,
    StatusChange,
)
from tenant_api.messagebus import UnitOfWork
from tenant_api.messages import CustomerCreated, CustomerStatusChanged
from tenant_api.models import (
    Customer,
    CustomerNote,
    CustomerStatusChange,
)
from tenant_api.tenancy.entitlements.store import EntitlementStore


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


lock_customers = repository.lock
count = repository.count
allocate_account_numbers = repository.allocate_account_numbers
search = repository.search


def check_cap(cap: Cap, customers: int, adding: int = 1) -> None:
    if cap.customers is not None and customers + adding > cap.customers:
        raise CustomerCapReached(
            f"This ISP has {customers} customers and the {cap.tier} tier allows {cap.customers}; "
            f"adding {adding} would pass it. Move to a higher tier to add more.",
            customer_cap=cap.customers,
            customers=customers,
            tier=cap.tier,
        )


record_count = repository.record_count


async def create_customer(work: UnitOfWork, spec: CustomerCreate, *, cap: Cap, by: str) -> Customer:
    session, tenant_id, now = work.session, work.tenant_id, work.now
    if spec.status not in (CustomerStatus.LEAD, CustomerStatus.ACTIVE):
        raise UnprocessableContent(
            "A new customer is a lead or active.", field="status", value=spec.status.value
        )
    # Two round trips: the lock, taking the next number unless one is given; then the count
    # and whether the number is free.
    first = await lock_customers(session, tenant_id, numbers=0 if spec.account_number else 1)
    number = spec.account_number or repository.account_number(first)
    customers, taken = await repository.count_and_taken(session, number)
    check_cap(cap, customers)
    if spec.reseller_id is not None:
        await _check_reseller(session, spec.reseller_id)
    if taken and spec.account_number is not None:
        raise Conflict(f"Account number {number} is already a customer's.", account_number=number)
    if taken:  # the ISP brought its own numbers in this range: the next free one
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
    await record_count(session, tenant_id, customers + 1, now)
    work.record(CustomerCreated(customer.id, by))
    await work.flush()
    return customer


async def get_customer(session: AsyncSession, customer_id: UUID) -> Customer:
    customer = await repository.get(session, customer_id)
    if customer is None:
        raise NotFound(f"No customer {customer_id} at this ISP.")
    return customer


async def read_customer(session: AsyncSession, customer_id: UUID) -> RowMapping:
    """The customer's row, to be shown (no ORM object: see `repository.read`)."""
    customer = await repository.read(session, customer_id)
    if customer is None:
        raise NotFound(f"No customer {customer_id} at this ISP.")
    return customer


async def update_customer(
    session: AsyncSession, customer_id: UUID, change: CustomerUpdate, *, now: datetime
) -> Customer:
    customer = await get_customer(session, customer_id)
    fields = change.model_fields_set
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
    work: UnitOfWork, customer_id: UUID, change: StatusChange, *, by: str
) -> Customer:
    """Move the customer to another status; a repeat of its current status changes nothing.
    Cancelling ends its subscriptions (billing reacts to `CustomerStatusChanged`)."""
    session, tenant_id, now = work.session, work.tenant_id, work.now
    await lock_customers(session, tenant_id)
    customer = await get_customer(session, customer_id)
    current = CustomerStatus(customer.status)
    if change.status == current:
        return customer  # already so: a repeat changes nothing
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
    work.record(CustomerStatusChanged(customer.id, current, change.status, change.reason, by))
    await work.flush()
    if change.status == CustomerStatus.CANCELLED:
        await record_count(session, tenant_id, await count(session), now)
    return customer


async def status_history(session: AsyncSession, customer_id: UUID) -> list[CustomerStatusChange]:
    await get_customer(session, customer_id)
    return await repository.status_history(session, customer_id)


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
    return await repository.notes(session, customer_id)


async def _check_reseller(session: AsyncSession, reseller_id: UUID) -> None:
    if await repository.kind_of(session, reseller_id) != CustomerKind.RESELLER:
        raise UnprocessableContent(
            f"No reseller {reseller_id} at this ISP: name a customer of kind reseller.",
            field="reseller_id",
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


async def tag(work: UnitOfWork, customer_id: UUID, tag: str) -> str:
    """Tag the customer, within the 20 a customer may have; says what was done."""
    customer = await get_customer(work.session, customer_id)
    tags = list(customer.tags or [])
    if tag in tags:
        return f"add tag {tag}: already tagged"
    if len(tags) >= 20:
        return f"add tag {tag}: the customer has 20 tags already"
    customer.tags = [*tags, tag]
    customer.updated_at = work.now
    return f"tagged the customer {tag}"


@dataclass(frozen=True)
class PastCustomer:
    """A customer that already has a past (sample data): who it is, as `POST /customers` takes
    it (its `status` the one it was created with, its account number given), when it was
    created, and each status it moved to since, with the reason and the moment."""

    id: UUID
    spec: CustomerCreate
    created_at: datetime
    changes: Sequence[tuple[CustomerStatus, str | None, datetime]]


async def add_past(
    work: UnitOfWork, customers: Sequence[PastCustomer], *, cap: Cap, by: str
) -> None:
    """Add customers with their history, in bulk, under the rules one at a time follows: the
    cap, a lead or active start, only the moves `/status` allows (with a reason where it asks
    for one), resellers that are resellers, account numbers no one has. Raises no domain
    events (no automation runs for them); records the new count once."""
    session, tenant_id = work.session, work.tenant_id
    await lock_customers(session, tenant_id)
    current = await count(session)
    billable = sum(1 for c in customers if _final(c) != CustomerStatus.CANCELLED)
    check_cap(cap, current, billable)
    numbers = [c.spec.account_number for c in customers if c.spec.account_number]
    if len(numbers) != len(customers) or len(set(numbers)) != len(numbers):
        raise UnprocessableContent("Each customer with a past brings its own account number.")
    taken = await repository.account_numbers_taken(session, numbers)
    if taken:
        raise Conflict(f"Account number {min(taken)} is already a customer's.")
    resellers = {c.id for c in customers if c.spec.kind == CustomerKind.RESELLER}
    named = {c.spec.reseller_id for c in customers if c.spec.reseller_id} - resellers
    if named - await repository.resellers_among(session, list(named)):
        raise UnprocessableContent("A customer names a reseller that is not one.")
    rows, history = [], []
    for c in sorted(customers, key=lambda c: c.spec.reseller_id is not None):
        rows.append(_past_row(tenant_id, c))
        history.extend(_past_history(tenant_id, c, by))
    await repository.insert_many(session, rows, history)
    ours = [int(n[1:]) for n in numbers if len(n) == 8 and n[0] == "C" and n[1:].isdigit()]
    if ours:
        await repository.skip_account_numbers_through(session, tenant_id, max(ours))
    await record_count(session, tenant_id, current + billable, work.now)


def _final(customer: PastCustomer) -> CustomerStatus:
    return customer.changes[-1][0] if customer.changes else customer.spec.status


def _past_history(tenant_id: UUID, c: PastCustomer, by: str) -> list[dict[str, Any]]:
    if c.spec.status not in (CustomerStatus.LEAD, CustomerStatus.ACTIVE):
        raise UnprocessableContent(
            f"Customer {c.spec.account_number} starts {c.spec.status.value}: a new customer is "
            "a lead or active.",
            field="status",
        )
    steps: list[tuple[CustomerStatus | None, CustomerStatus, str | None, datetime]] = [
        (None, c.spec.status, None, c.created_at)
    ]
    for to, reason, at in c.changes:
        before, at_before = steps[-1][1], steps[-1][3]
        if to not in TRANSITIONS[before] or at < at_before:
            raise TransitionRefused(
                f"Customer {c.spec.account_number} cannot become {to.value} from "
                f"{before.value} at {at:%Y-%m-%d}.",
                status_now=before.value,
            )
        if to in NEEDS_REASON and not reason:
            raise UnprocessableContent(
                f"Customer {c.spec.account_number} became {to.value} without a reason.",
                field="reason",
            )
        steps.append((before, to, reason, at))
    return [
        {
            "id": uuid.uuid4(),
            "tenant_id": tenant_id,
            "customer_id": c.id,
            "from_status": before.value if before else None,
            "to_status": to.value,
            "reason": reason,
            "changed_at": at,
            "changed_by": by,
        }
        for before, to, reason, at in steps
    ]


def _past_row(tenant_id: UUID, c: PastCustomer) -> dict[str, Any]:
    spec = c.spec
    status, reason, at = c.changes[-1] if c.changes else (spec.status, None, c.created_at)
    return {
        "id": c.id,
        "tenant_id": tenant_id,
        "account_number": spec.account_number,
        "name": spec.name,
        "kind": spec.kind.value,
        "reseller_id": spec.reseller_id,
        "email": _email(spec.email),
        "phone": spec.phone,
        "contact_address": _address(spec.contact_address),
        "service_address": _address(spec.service_address),
        "tags": spec.tags,
        "status": status.value,
        "status_reason": reason,
        "status_changed_at": at,
        "created_at": c.created_at,
        "updated_at": at,
    }
