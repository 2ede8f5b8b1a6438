"""Dunning's settings, and its pass: plan with `rules.plan`, then mail the reminders (through
the mail outbox), issue the late fees as invoices of their own, and suspend or reactivate
customers through the customers context (which announces it for the network)."""

import uuid
from datetime import date, datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.mail import Mailer
from servicekit.problems import Conflict, NotFound
from tenant_api.billing.dunning import repository
from tenant_api.billing.dunning.rules import Planned, Policy, plan
from tenant_api.billing.dunning.schemas import (
    ActionKind,
    ActionRead,
    CustomerDunningRead,
    CustomerDunningUpdate,
    DunningPassResult,
    DunningSettingsRead,
    DunningSettingsUpdate,
    LateFee,
    LateFeeKind,
)
from tenant_api.billing.invoices import service as invoices
from tenant_api.billing.invoices.schemas import InvoiceCreate, LineCreate
from tenant_api.billing.money import minor_units_per_major
from tenant_api.billing.payments.repository import currency as currency_of
from tenant_api.billing.repository import customer_status
from tenant_api.messagebus import UnitOfWork
from tenant_api.messages import ChangeCustomerStatus
from tenant_api.models import DunningAction, DunningSettings
from tenant_api.vocabulary import DUNNING, CustomerStatus

SHOWN = 500
search = repository.search


async def read_settings(session: AsyncSession, tenant_id: UUID) -> DunningSettingsRead:
    found = await repository.settings(session)
    schedule = await repository.schedule(session, tenant_id)
    if found is None:
        return DunningSettingsRead(
            enabled=False,
            reminder_days=[],
            late_fee=LateFee(),
            grace_days=0,
            suspend_after_days=None,
            next_pass_on=None,
            last_pass_error=None,
            updated_at=None,
        )
    return DunningSettingsRead(
        enabled=found.enabled,
        reminder_days=list(found.reminder_days),
        late_fee=LateFee(
            kind=LateFeeKind(found.late_fee_kind),
            amount=found.late_fee_amount,
            basis_points=found.late_fee_basis_points,
        ),
        grace_days=found.grace_days,
        suspend_after_days=found.suspend_after_days,
        next_pass_on=schedule.due_on.isoformat() if schedule else None,
        last_pass_error=schedule.last_error if schedule else None,
        updated_at=found.updated_at,
    )


async def update_settings(
    session: AsyncSession, tenant_id: UUID, change: DunningSettingsUpdate, now: datetime
) -> DunningSettingsRead:
    found = await repository.settings(session)
    if found is None:
        found = DunningSettings(tenant_id=tenant_id)
        session.add(found)
    found.enabled = change.enabled
    found.reminder_days = list(change.reminder_days)
    found.late_fee_kind = change.late_fee.kind.value
    found.late_fee_amount = change.late_fee.amount
    found.late_fee_basis_points = change.late_fee.basis_points
    found.grace_days = change.grace_days
    found.suspend_after_days = change.suspend_after_days
    found.updated_at = now
    await session.flush()
    if change.enabled:
        existing = await repository.schedule(session, tenant_id)
        if existing is None:  # the first pass today; an existing timer keeps its day
            await repository.set_schedule(session, tenant_id, now.date(), now)
    else:
        await repository.drop_schedule(session, tenant_id)
    return await read_settings(session, tenant_id)


async def customer_dunning(session: AsyncSession, customer_id: UUID) -> CustomerDunningRead:
    await _customer(session, customer_id)
    return CustomerDunningRead(
        customer_id=customer_id, never_suspend=await repository.never_suspend(session, customer_id)
    )


async def update_customer_dunning(
    session: AsyncSession,
    tenant_id: UUID,
    customer_id: UUID,
    change: CustomerDunningUpdate,
    now: datetime,
) -> CustomerDunningRead:
    await _customer(session, customer_id)
    await repository.set_never_suspend(session, tenant_id, customer_id, change.never_suspend, now)
    return CustomerDunningRead(customer_id=customer_id, never_suspend=change.never_suspend)


async def _customer(session: AsyncSession, customer_id: UUID) -> None:
    if await customer_status(session, customer_id) is None:
        raise NotFound(f"No customer {customer_id} at this ISP.")


async def run_pass(work: UnitOfWork, mailer: Mailer, *, dry_run: bool) -> DunningPassResult:
    """Everything dunning has to do today at this ISP (dry: what it would do)."""
    session, today = work.session, work.now.date()
    found = await repository.settings(session)
    if found is None:
        raise Conflict(
            "Dunning is not set up: PUT /api/v1/billing/dunning/settings first.",
            setting="dunning",
        )
    policy = Policy(
        reminder_days=tuple(found.reminder_days),
        late_fee_kind=found.late_fee_kind,
        late_fee_amount=found.late_fee_amount,
        late_fee_basis_points=found.late_fee_basis_points,
        grace_days=found.grace_days,
        suspend_after_days=found.suspend_after_days,
    )
    open_invoices = await repository.open_invoices(session)
    accounts = await repository.accounts(session, sorted({i.customer_id for i in open_invoices}))
    planned = plan(policy, today, open_invoices, accounts)
    currency = await currency_of(session)
    actions = []
    for step in planned:
        if dry_run:
            actions.append(_shown(step, None, None, work.now))
            continue
        action = await _carry_out(work, mailer, step, currency)
        if action is not None:
            actions.append(action)
    counts = {kind: sum(a.kind == kind for a in actions) for kind in ActionKind}
    return DunningPassResult(
        dry_run=dry_run,
        ran_at=work.now,
        reminders=counts[ActionKind.REMINDER],
        late_fees=counts[ActionKind.LATE_FEE],
        suspended=counts[ActionKind.SUSPENDED],
        reactivated=counts[ActionKind.REACTIVATED],
        actions=actions[:SHOWN],
    )


def _shown(step: Planned, action_id: UUID | None, fee: UUID | None, now: datetime) -> ActionRead:
    return ActionRead(
        id=action_id,
        kind=ActionKind(step.kind),
        customer_id=step.customer_id,
        invoice_id=step.invoice_id,
        step=step.step,
        fee_invoice_id=fee,
        amount=step.amount,
        detail=step.detail,
        created_at=now,
    )


async def _carry_out(
    work: UnitOfWork, mailer: Mailer | None, step: Planned, currency: str
) -> ActionRead | None:
    session, now = work.session, work.now
    values = {
        "id": uuid.uuid4(),
        "tenant_id": work.tenant_id,
        "customer_id": step.customer_id,
        "invoice_id": step.invoice_id,
        "kind": step.kind,
        "step": step.step,
        "amount": step.amount,
        "detail": step.detail,
        "created_at": now,
    }
    fee_invoice = None
    if step.kind == ActionKind.REMINDER:
        name, email = await repository.contact(session, step.customer_id)
        values["detail"] = f"mailed to {email}" if email else "no e-mail address: not mailed"
        if await repository.record(session, values) is None:
            return None  # sent already (a concurrent pass)
        if email and mailer is not None:
            await mailer.queue(session, to=email, **_reminder(name, step, currency, now.date()))
    elif step.kind == ActionKind.LATE_FEE:
        assert step.invoice_id is not None and step.amount is not None
        actor = invoices.Actor(work.tenant_id, DUNNING, now)
        fee = await invoices.create_invoice(
            session,
            actor,
            InvoiceCreate(
                customer_id=step.customer_id,
                lines=[
                    LineCreate(
                        description=f"Late fee: invoice {step.number} unpaid since {step.due_on}",
                        unit_amount=step.amount,
                    )
                ],
                memo=f"Late fee on invoice {step.number}",
                issue=True,
            ),
            f"late-fee:{step.invoice_id}",
        )
        fee_invoice = values["fee_invoice_id"] = fee.id
        values["detail"] = f"invoice {fee.number}"
        if await repository.record(session, values) is None:
            return None
    else:
        status = CustomerStatus.SUSPENDED if step.kind == "suspended" else CustomerStatus.ACTIVE
        if status == CustomerStatus.SUSPENDED and step.amount:
            values["detail"] = (
                f"Overdue since {step.due_on}: {readable(step.amount, currency)} unpaid."
            )
        reason = values["detail"]
        assert reason is None or isinstance(reason, str)
        await work.execute(ChangeCustomerStatus(step.customer_id, status, reason, DUNNING))
        await repository.record(session, values)
    return _shown(
        Planned(**{**step.__dict__, "detail": values["detail"]}),
        values["id"],  # type: ignore[arg-type]
        fee_invoice,  # type: ignore[arg-type]
        now,
    )


def _reminder(name: str, step: Planned, currency: str, today: date) -> dict[str, str]:
    assert step.due_on is not None and step.amount is not None
    late = today > step.due_on
    subject = (
        f"Invoice {step.number} is overdue"
        if late
        else f"Invoice {step.number} is due on {step.due_on}"
    )
    when = (
        f"was due on {step.due_on} ({(today - step.due_on).days} days ago)"
        if late
        else f"is due on {step.due_on}"
    )
    return {
        "subject": subject,
        "body": (
            f"Hello {name},\n\n"
            f"Invoice {step.number} {when}; {readable(step.amount, currency)} is left to pay."
            "\n\nIf you have paid it already, thank you: please ignore this reminder.\n"
        ),
    }


async def reactivate_if_paid(work: UnitOfWork, customer_id: UUID) -> bool:
    """After a payment: a customer dunning suspended is active again once nothing is
    overdue (a customer suspended by hand stays suspended)."""
    session, today = work.session, work.now.date()
    account = await repository.account(session, customer_id)
    if account is None or not account.suspended_by_dunning:
        return False
    owed = await repository.open_invoices(session, customer_id)
    overdue = sum(i.balance for i in owed if i.due_on < today)
    if overdue - account.credit > 0:
        return False
    step = Planned(
        "reactivated", customer_id, amount=0, detail="Paid: nothing is overdue any more."
    )
    await _carry_out(work, None, step, "")
    return True


def readable(amount: int, currency: str) -> str:
    """Minor units as a person reads them: 4200 USD -> "42.00 USD", 500 JPY -> "500 JPY"."""
    per = minor_units_per_major(currency)
    digits = len(str(per)) - 1
    whole, part = divmod(amount, per)
    return f"{whole}.{part:0{digits}d} {currency}" if digits else f"{whole} {currency}"


def next_day(today: date) -> date:
    return today + timedelta(days=1)


def action_read(action: DunningAction) -> ActionRead:
    return ActionRead.model_validate(action, from_attributes=True)
