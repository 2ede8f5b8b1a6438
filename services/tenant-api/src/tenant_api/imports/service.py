"""The dry run and the commit share one check, so what the dry run reports is what the commit
does; the commit runs it again under the customers lock, against the customers there are then,
and creates every customer (with its history and subscription) in one transaction, or none.

A commit is announced once (`CustomersImported`, with the new customer count), never customer by
customer: it raises no domain events, so no automation runs and no `CustomerCreated` or
`SubscriptionChanged` is published for its rows."""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.events import CustomersImported
from servicekit.outbox import Outbox
from servicekit.problems import Conflict, NotFound, UnprocessableContent
from tenant_api.customers.schemas import CustomerStatus
from tenant_api.customers.service import (
    Cap,
    allocate_account_numbers,
    check_cap,
    count,
    lock_customers,
    record_count,
)
from tenant_api.imports import repository
from tenant_api.imports.parsing import (
    FIELDS,
    BadFile,
    Checked,
    ImportedCustomer,
    RowError,
    check_rows,
    guess_mapping,
    read_csv,
)
from tenant_api.imports.schemas import Duplicate, ImportReport, OnDuplicate, RowErrorRead
from tenant_api.models import CustomerImport

SHOWN = 500


@dataclass
class Review:
    """What committing the import would do now."""

    checked: Checked
    duplicates: list[Duplicate] = field(default_factory=list)
    plans: dict[str, UUID] = field(default_factory=dict)

    @property
    def errors(self) -> list[RowError]:
        return self.checked.errors


async def upload(
    session: AsyncSession,
    tenant_id: UUID,
    content: bytes,
    *,
    filename: str | None,
    default_country: str | None,
    now: datetime,
    by: str,
) -> tuple[CustomerImport, Review]:
    try:
        text, sheet = read_csv(content)
    except BadFile as bad:
        raise UnprocessableContent(str(bad), field="file") from None
    upload = CustomerImport(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        filename=filename,
        content=text,
        columns=sheet.columns,
        mapping=guess_mapping(sheet.columns),
        default_country=default_country,
        status="checked",
        rows=len(sheet.rows),
        errors=0,
        created_by=by,
        created_at=now,
    )
    review = await check(session, upload)
    upload.errors = len(review.errors)
    session.add(upload)
    await session.flush()
    return upload, review


async def get_import(session: AsyncSession, import_id: UUID) -> CustomerImport:
    found = await repository.get(session, import_id)
    if found is None:
        raise NotFound(f"No import {import_id} at this ISP.")
    return found


async def dry_run(session: AsyncSession, import_id: UUID) -> tuple[CustomerImport, Review]:
    """The import, and what committing it would do now (customers added since it was checked
    count as duplicates)."""
    upload = await get_import(session, import_id)
    return upload, await check(session, upload)


async def remap(
    session: AsyncSession,
    import_id: UUID,
    mapping: dict[str, str],
    default_country: str | None,
) -> tuple[CustomerImport, Review]:
    upload = await _pending(session, import_id)
    unknown_fields = sorted(set(mapping) - set(FIELDS))
    unknown_columns = sorted(set(mapping.values()) - set(upload.columns))
    if unknown_fields or unknown_columns:
        raise UnprocessableContent(
            "The mapping names fields or columns there are not.",
            unknown_fields=unknown_fields,
            unknown_columns=unknown_columns,
            fields=list(FIELDS),
        )
    if len(set(mapping.values())) != len(mapping):
        raise UnprocessableContent("A column can fill one field only.")
    upload.mapping = dict(mapping)
    upload.default_country = default_country
    review = await check(session, upload)
    upload.errors = len(review.errors)
    await session.flush()
    return upload, review


async def check(session: AsyncSession, upload: CustomerImport) -> Review:
    """The dry run: each row's errors, and rows that repeat a customer or an earlier row."""
    _, sheet = read_csv(upload.content.encode())
    if "name" not in upload.mapping:
        checked = Checked(errors=[RowError(1, "name", "No column is mapped to the name.")])
        return Review(checked)
    review = Review(check_rows(sheet, upload.mapping, default_country=upload.default_country))
    customers = review.checked.customers
    numbers = [c.account_number for c in customers.values() if c.account_number]
    emails = [str(c.email).lower() for c in customers.values() if c.email]
    taken_numbers = await repository.customers_numbered(session, numbers)
    taken_emails = await repository.customers_emailed(session, emails)
    plans = await repository.catalogue_plans(session)
    review.plans = {name.lower(): plan_id for name, plan_id in plans.items()}
    seen_numbers: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for row, customer in list(customers.items()):
        problems = _row_problems(customer, review.plans)
        number = customer.account_number
        if number and number in taken_numbers:
            problems.append(("account_number", f"Account number {number} is a customer's."))
        elif number and number in seen_numbers:
            problems.append(
                ("account_number", f"Account number {number} is on row {seen_numbers[number]}.")
            )
        if problems:
            del customers[row]
            review.errors.extend(RowError(row, f, m) for f, m in problems)
            continue
        if number:
            seen_numbers[number] = row
        address = str(customer.email).lower() if customer.email else None
        if address and address in taken_emails:
            review.duplicates.append(
                Duplicate(
                    row=row,
                    field="email",
                    value=address,
                    customer_id=taken_emails[address],
                    first_row=None,
                )
            )
        elif address and address in seen_emails:
            review.duplicates.append(
                Duplicate(
                    row=row,
                    field="email",
                    value=address,
                    customer_id=None,
                    first_row=seen_emails[address],
                )
            )
        elif address:
            seen_emails[address] = row
    review.errors.sort(key=lambda e: e.row)
    return review


def _row_problems(customer: ImportedCustomer, plans: dict[str, UUID]) -> list[tuple[str, str]]:
    problems = []
    if customer.plan is not None:
        if customer.plan.lower() not in plans:
            problems.append(("plan", f"No active plan named {customer.plan!r}."))
        if customer.status in (CustomerStatus.LEAD, CustomerStatus.CANCELLED):
            problems.append(("plan", f"A {customer.status.value} customer is on no plan."))
    elif customer.plan_start is not None:
        problems.append(("plan_start", "A start date needs a plan."))
    return problems


def report(upload: CustomerImport, review: Review, **outcome: int) -> ImportReport:
    return ImportReport(
        id=upload.id,
        filename=upload.filename,
        status=upload.status,
        columns=upload.columns,
        mapping=upload.mapping,
        unmapped_columns=[c for c in upload.columns if c not in upload.mapping.values()],
        default_country=upload.default_country,
        rows=upload.rows,
        ready=len(review.checked.customers),
        errors=[
            RowErrorRead.model_validate(e, from_attributes=True) for e in review.errors[:SHOWN]
        ],
        error_count=len(review.errors),
        duplicates=review.duplicates[:SHOWN],
        duplicate_count=len(review.duplicates),
        created_at=upload.created_at,
        committed_at=upload.committed_at,
        **outcome,
    )


async def commit(
    session: AsyncSession,
    outbox: Outbox,
    tenant_id: UUID,
    import_id: UUID,
    on_duplicate: OnDuplicate | None,
    *,
    cap: Cap,
    now: datetime,
    by: str,
) -> tuple[CustomerImport, Review, int, int]:
    await lock_customers(session, tenant_id)
    upload = await _pending(session, import_id, lock=True)
    review = await check(session, upload)
    if review.errors:
        raise Conflict(
            f"{len(review.errors)} rows have errors: fix the file or the mapping and check "
            "again. Nothing was imported.",
            error_count=len(review.errors),
        )
    if review.duplicates and on_duplicate is None:
        raise Conflict(
            f"{len(review.duplicates)} rows repeat another customer's email: say whether to "
            "skip them or create them anyway (on_duplicate). Nothing was imported.",
            duplicate_count=len(review.duplicates),
        )
    skip = {d.row for d in review.duplicates} if on_duplicate == OnDuplicate.SKIP else set()
    rows = [c for row, c in sorted(review.checked.customers.items()) if row not in skip]
    billable = sum(1 for c in rows if c.status != CustomerStatus.CANCELLED)
    current = await count(session)
    check_cap(cap, current, billable)
    unnumbered = sum(1 for c in rows if not c.account_number)
    numbers = iter(await allocate_account_numbers(session, tenant_id, unnumbered))
    customers, history, subscriptions = [], [], []
    for c in rows:
        customer_id = uuid.uuid4()
        customers.append(
            _customer(tenant_id, customer_id, c, c.account_number or next(numbers), now)
        )
        history.append(_created(tenant_id, customer_id, c, now, by))
        if c.plan:
            subscriptions.append(
                _subscription(
                    tenant_id,
                    customer_id,
                    review.plans[c.plan.lower()],
                    c.plan_start or now.date(),
                    now,
                )
            )
    await repository.insert_customers(session, customers, history, subscriptions)
    upload.status, upload.committed_at = "committed", now
    await session.flush()
    await record_count(session, tenant_id, current + billable, now)
    imported = CustomersImported(
        isp_id=tenant_id,
        import_id=upload.id,
        created=len(customers),
        skipped=len(skip),
        subscriptions=len(subscriptions),
        by=by,
        imported_at=now,
    )
    await outbox.add(session, imported)
    return upload, review, len(customers), len(skip)


async def _pending(session: AsyncSession, import_id: UUID, lock: bool = False) -> CustomerImport:
    upload = await repository.get(session, import_id, lock=lock)
    if upload is None:
        raise NotFound(f"No import {import_id} at this ISP.")
    if upload.status == "committed":
        raise Conflict(
            f"This import was committed at {upload.committed_at:%Y-%m-%d %H:%M} UTC.",
            import_id=import_id,
        )
    return upload


def _customer(
    tenant_id: UUID, customer_id: UUID, c: ImportedCustomer, number: str, now: datetime
) -> dict[str, Any]:
    return {
        "id": customer_id,
        "tenant_id": tenant_id,
        "account_number": number,
        "name": c.name,
        "kind": c.kind.value,
        "reseller_id": None,
        "email": str(c.email).lower() if c.email else None,
        "phone": c.phone,
        "contact_address": c.contact_address.model_dump(exclude_none=True)
        if c.contact_address
        else None,
        "service_address": None,
        "tags": c.tags,
        "status": c.status.value,
        "status_reason": "imported"
        if c.status in (CustomerStatus.SUSPENDED, CustomerStatus.CANCELLED)
        else None,
        "status_changed_at": now,
        "created_at": now,
        "updated_at": now,
    }


def _created(
    tenant_id: UUID, customer_id: UUID, c: ImportedCustomer, now: datetime, by: str
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "customer_id": customer_id,
        "from_status": None,
        "to_status": c.status.value,
        "reason": "imported",
        "changed_at": now,
        "changed_by": by,
    }


def _subscription(
    tenant_id: UUID, customer_id: UUID, plan_id: UUID, starts_on: date, now: datetime
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "customer_id": customer_id,
        "plan_id": plan_id,
        "starts_on": starts_on,
        "ends_on": None,
        "end_reason": None,
        "cancellation_reason": None,
        "previous_id": None,
        "created_at": now,
    }
