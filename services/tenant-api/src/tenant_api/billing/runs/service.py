import uuid
from datetime import date, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.problems import Conflict, NotFound
from tenant_api.billing.payments.ledger import apply_credit_to_run
from tenant_api.billing.periods import period_of
from tenant_api.billing.runs import repository
from tenant_api.billing.runs.schemas import BillRunCreate, CustomerPreview, Differences
from tenant_api.billing.settings import repository as settings_repository
from tenant_api.billing.settings import service as settings
from tenant_api.messagebus import UnitOfWork
from tenant_api.models import BillRun

SHOWN = 100
search = repository.search


async def run(
    work: UnitOfWork, spec: BillRunCreate, *, by: str
) -> tuple[BillRun, Differences | None]:
    """Invoice the period for every customer not invoiced for it yet (or, dry, show what that
    would make and how it differs from the invoices made already)."""
    session, tenant_id = work.session, work.tenant_id
    current = await settings.current(session, tenant_id, work.now)
    year, month = (int(part) for part in spec.period.split("-"))
    p0, p1 = period_of(date(year, month, 1), current.billing_day)
    today = work.now.date()
    if not spec.dry_run and p1 > today:
        raise Conflict(
            f"The period {p0} to {p1 - timedelta(days=1)} is billed once it has ended, from "
            f"{p1} on (a dry run shows it any time).",
            period_end=p1,
        )
    await repository.lock_period(session, tenant_id, p0)
    overlapped = await repository.overlapping_period(session, p0, p1)
    if overlapped is not None:
        raise Conflict(
            f"Invoices of the period from {overlapped} share days with {p0} to "
            f"{p1 - timedelta(days=1)} (the billing day changed since): a run would bill those "
            "days twice. Invoice the days between by hand.",
            overlapping_period_start=overlapped,
        )
    bill_run = BillRun(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        period_start=p0,
        period_end=p1,
        dry_run=spec.dry_run,
        issue=spec.issue,
        currency=current.currency,
        invoices_created=0,
        amount_invoiced=0,
        summary={},
        created_by=by,
        created_at=work.now,
    )
    session.add(bill_run)
    await session.flush()
    if spec.dry_run:
        differences = await _differences(session, p0, p1, current.currency)
        bill_run.invoices_created = differences.new_count
        bill_run.amount_invoiced = sum(p.would_invoice or 0 for p in differences.new)
        bill_run.summary = differences.model_dump(mode="json", exclude={"new", "changed", "gone"})
        await session.flush()
        return bill_run, differences
    made, amount = await repository.invoice_period(
        session,
        tenant_id=tenant_id,
        run_id=bill_run.id,
        p0=p0,
        p1=p1,
        currency=current.currency,
        by=by,
        now=work.now,
    )
    if made and spec.issue:
        first, prefix = await settings_repository.take_invoice_numbers(session, made)
        await repository.number_run(
            session,
            run_id=bill_run.id,
            first=first,
            prefix=prefix,
            today=today,
            due=today + timedelta(days=current.payment_terms_days),
            now=work.now,
        )
        await apply_credit_to_run(session, bill_run.id, work.now)
    bill_run.invoices_created, bill_run.amount_invoiced = made, amount
    await session.flush()
    return bill_run, None


async def _differences(session: AsyncSession, p0: date, p1: date, currency: str) -> Differences:
    rows = await repository.preview(session, p0=p0, p1=p1, currency=currency)
    kinds: dict[str, list[CustomerPreview]] = {"new": [], "changed": [], "gone": [], "same": []}
    for customer_id, would, invoiced, invoice_id in rows:
        kind = (
            "new"
            if invoice_id is None
            else "gone"
            if would is None
            else "same"
            if would == invoiced
            else "changed"
        )
        kinds[kind].append(
            CustomerPreview(
                customer_id=customer_id,
                would_invoice=would,
                invoiced=invoiced,
                invoice_id=invoice_id,
            )
        )
    return Differences(
        new=kinds["new"][:SHOWN],
        changed=kinds["changed"][:SHOWN],
        gone=kinds["gone"][:SHOWN],
        new_count=len(kinds["new"]),
        changed_count=len(kinds["changed"]),
        gone_count=len(kinds["gone"]),
        unchanged_count=len(kinds["same"]),
    )


async def get_run(session: AsyncSession, run_id: UUID) -> BillRun:
    found = await repository.get(session, run_id)
    if found is None:
        raise NotFound(f"No bill run {run_id} at this ISP.")
    return found


async def issue_run(work: UnitOfWork, run_id: UUID) -> BillRun:
    """Number and issue every draft the run left (it was run with `issue: false` for review),
    consecutively by account number; voided drafts stay void."""
    session = work.session
    bill_run = await get_run(session, run_id)
    if bill_run.dry_run:
        raise Conflict("A dry run made no invoices to issue.", bill_run_id=run_id)
    drafts = await repository.lock_drafts(session, run_id)
    if drafts:
        current = await settings.current(session, work.tenant_id, work.now)
        first, prefix = await settings_repository.take_invoice_numbers(session, drafts)
        today = work.now.date()
        await repository.number_run(
            session,
            run_id=run_id,
            first=first,
            prefix=prefix,
            today=today,
            due=today + timedelta(days=current.payment_terms_days),
            now=work.now,
        )
        await apply_credit_to_run(session, run_id, work.now)
        bill_run.issue = True
        await session.flush()
    return bill_run
