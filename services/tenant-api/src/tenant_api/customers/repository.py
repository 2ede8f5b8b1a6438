"""Customers' SQL: the customers of the ISP the unit of work is for, their history and notes."""

import functools
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Date, Integer, RowMapping, Select, Text, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.db import insert_rows, param, table_of
from tenant_api.customers.schemas import CustomerSort
from tenant_api.listing import Prepared, like_pattern, matches
from tenant_api.models import (
    AccountNumbers,
    Customer,
    CustomerCountDue,
    CustomerNote,
    CustomerStatusChange,
)
from tenant_api.vocabulary import CustomerKind, CustomerStatus

CUSTOMERS = table_of(Customer)
SHOWN = [column for column in CUSTOMERS.c if column is not CUSTOMERS.c.search_text]
"""A customer's columns as reads show them (search_text is the search index's)."""
_BY_ID = select(*SHOWN).where(CUSTOMERS.c.id == param(CUSTOMERS.c.id))


ACCOUNT_NUMBERS = table_of(AccountNumbers)
_N = bindparam("n", type_=Integer)
_NUMBERS_FROM = insert(ACCOUNT_NUMBERS).values(
    tenant_id=param(ACCOUNT_NUMBERS.c.tenant_id), next_number=_N + 1
)
_TAKE_NUMBERS = _NUMBERS_FROM.on_conflict_do_update(
    index_elements=[ACCOUNT_NUMBERS.c.tenant_id],
    set_={"next_number": ACCOUNT_NUMBERS.c.next_number + _N},
).returning(ACCOUNT_NUMBERS.c.next_number - _N)


async def lock(session: AsyncSession, tenant_id: UUID, *, numbers: int = 0) -> int:
    """Serialize what changes how many customers the tenant has, and which account numbers
    they hold, until the transaction ends: the tenant's account-number counter is locked (a
    row lock; a second transaction waits here until the first ends). With `numbers`, also
    take that many numbers from the counter, in the same round trip. The first number taken
    (with none, the counter's next)."""
    taken: int = (
        await session.execute(_TAKE_NUMBERS, {"tenant_id": tenant_id, "n": numbers})
    ).scalar_one()
    return taken


def account_number(n: int) -> str:
    """The account number the counter's `n` stands for."""
    return f"C{n:07d}"


_COUNT = (
    select(func.count())
    .select_from(CUSTOMERS)
    .where(CUSTOMERS.c.status != CustomerStatus.CANCELLED.value)
)


async def count(session: AsyncSession) -> int:
    """Customers that count against the cap: every one not cancelled."""
    counted: int = (await session.execute(_COUNT)).scalar_one()
    return counted


COUNTS = table_of(CustomerCountDue)
_RECORD_COUNT = insert(COUNTS).values(
    tenant_id=param(COUNTS.c.tenant_id),
    customers=param(COUNTS.c.customers),
    counted_at=param(COUNTS.c.counted_at),
    due=True,
)
_RECORD_COUNT = _RECORD_COUNT.on_conflict_do_update(
    index_elements=[COUNTS.c.tenant_id],
    set_={
        "customers": _RECORD_COUNT.excluded.customers,
        # Never back in time: under the lock the latest writer has the latest count, though
        # its request may have started (taken its `now`) before the previous writer's.
        "counted_at": func.greatest(COUNTS.c.counted_at, _RECORD_COUNT.excluded.counted_at),
        "due": True,
    },
)


async def record_count(
    session: AsyncSession, tenant_id: UUID, customers: int, counted_at: datetime
) -> None:
    """The tenant's count now (the caller holds the customers lock), due to be announced."""
    await session.execute(
        _RECORD_COUNT,
        {"tenant_id": tenant_id, "customers": customers, "counted_at": counted_at},
    )


async def allocate_account_numbers(session: AsyncSession, tenant_id: UUID, n: int) -> list[str]:
    """`n` account numbers never given before (locks the tenant's customers, if the caller
    has not)."""
    first = await lock(session, tenant_id, numbers=n)
    numbers = [account_number(first + i) for i in range(n)]
    clashes = await account_numbers_taken(session, numbers)
    if clashes:  # the ISP brought its own numbers in this range: take the next ones instead
        numbers = [x for x in numbers if x not in clashes]
        numbers += await allocate_account_numbers(session, tenant_id, len(clashes))
    return numbers


_COUNT_AND_TAKEN = select(
    _COUNT.scalar_subquery(),
    select(CUSTOMERS.c.id)
    .where(CUSTOMERS.c.account_number == param(CUSTOMERS.c.account_number))
    .exists(),
)


async def count_and_taken(session: AsyncSession, number: str) -> tuple[int, bool]:
    """The customers that count against the cap (as `count`), and whether `number` is
    already a customer's account number: one round trip."""
    counted, taken = (await session.execute(_COUNT_AND_TAKEN, {"account_number": number})).one()
    return counted, taken


async def get(session: AsyncSession, customer_id: UUID) -> Customer | None:
    return await session.get(Customer, customer_id)


async def read(session: AsyncSession, customer_id: UUID) -> RowMapping | None:
    """A customer's row, to be shown: read with Core, so no ORM object is built for it."""
    return (await session.execute(_BY_ID, {"id": customer_id})).mappings().first()


async def kind_of(session: AsyncSession, customer_id: UUID) -> str | None:
    return await session.scalar(select(Customer.kind).where(Customer.id == customer_id))


async def status_history(session: AsyncSession, customer_id: UUID) -> list[CustomerStatusChange]:
    found = await session.execute(
        select(CustomerStatusChange)
        .where(CustomerStatusChange.customer_id == customer_id)
        .order_by(CustomerStatusChange.changed_at, CustomerStatusChange.id)
    )
    return list(found.scalars())


async def notes(session: AsyncSession, customer_id: UUID) -> list[CustomerNote]:
    found = await session.execute(
        select(CustomerNote)
        .where(CustomerNote.customer_id == customer_id)
        .order_by(CustomerNote.created_at.desc(), CustomerNote.id)
    )
    return list(found.scalars())


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
) -> Prepared:
    """The customers matching every filter given, as rows of their `SHOWN` columns (Core:
    pages are read to be shown, and building ORM objects for them cost more than the rest of
    the request's reading). `q` matches any part of the name, email, phone, account number or
    either address. The query is built once for each combination of filters and order."""
    given = {
        "q": like_pattern(q) if q else None,
        "statuses": [s.value for s in status] if status else None,
        "kind": kind.value if kind else None,
        "tags": [t.lower() for t in tags] if tags else None,
        "reseller_id": reseller_id,
        "created_from": created_from,
        "created_to": created_to,
    }
    params = {name: value for name, value in given.items() if value is not None}
    return Prepared(_search(frozenset(params), sort), params)


@functools.cache
def _search(filters: frozenset[str], sort: CustomerSort) -> Select[Any]:
    c = CUSTOMERS.c
    conditions = {
        "q": lambda: matches(c.search_text, bindparam("q", type_=Text), lowered=True),
        "statuses": lambda: c.status.in_(bindparam("statuses", expanding=True)),
        "kind": lambda: c.kind == param(c.kind),
        "tags": lambda: c.tags.contains(param(c.tags)),
        "reseller_id": lambda: c.reseller_id == param(c.reseller_id),
        "created_from": lambda: func.date(c.created_at) >= bindparam("created_from", type_=Date),
        "created_to": lambda: func.date(c.created_at) <= bindparam("created_to", type_=Date),
    }
    query = select(*SHOWN).where(*(conditions[name]() for name in conditions if name in filters))
    order = {
        CustomerSort.ACCOUNT_NUMBER: (c.account_number,),
        CustomerSort.NAME: (c.name, c.account_number),
        CustomerSort.NEWEST: (c.created_at.desc(), c.id),
        CustomerSort.OLDEST: (c.created_at, c.id),
    }[sort]
    return query.order_by(*order)


async def account_numbers_taken(session: AsyncSession, numbers: Sequence[str]) -> set[str]:
    found = await session.execute(
        select(Customer.account_number).where(Customer.account_number.in_(numbers))
    )
    return set(found.scalars())


async def resellers_among(session: AsyncSession, ids: Sequence[UUID]) -> set[UUID]:
    found = await session.execute(
        select(Customer.id).where(Customer.id.in_(ids), Customer.kind == CustomerKind.RESELLER)
    )
    return set(found.scalars())


async def skip_account_numbers_through(session: AsyncSession, tenant_id: UUID, n: int) -> None:
    """Numbers given from now on start after `C{n:07d}` (customers brought their own)."""
    await session.execute(
        insert(ACCOUNT_NUMBERS)
        .values(tenant_id=tenant_id, next_number=n + 1)
        .on_conflict_do_update(
            index_elements=[ACCOUNT_NUMBERS.c.tenant_id],
            set_={"next_number": func.greatest(ACCOUNT_NUMBERS.c.next_number, n + 1)},
        )
    )


async def insert_many(
    session: AsyncSession, customers: list[dict[str, Any]], history: list[dict[str, Any]]
) -> None:
    """Customers (resellers before those they resell to) and their status history, in bulk."""
    await insert_rows(session, Customer, customers)
    await insert_rows(session, CustomerStatusChange, history)
