"""What a dunning pass does on a given day, decided without I/O from what is open and owed:
`plan` is the whole of dunning's judgement, `service` carries it out (or, dry, only shows it).

- A reminder per invoice and step of the schedule (days from the due date), each step once; a
  pass that finds several steps due (dunning was off, or the pass did not run for days) sends
  only the latest, not a burst of mails.
- A late fee once per invoice, only after the due date plus the grace days, never on a zero
  balance, never when the customer's credit covers what is overdue, never on a late fee.
- Suspension once the oldest unpaid invoice is overdue the set days (never for a customer the
  ISP marked "never suspend"); reactivation of those dunning suspended once nothing is overdue.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from tenant_api.billing.money import BASIS


@dataclass(frozen=True)
class Policy:
    reminder_days: tuple[int, ...]
    late_fee_kind: str
    late_fee_amount: int
    late_fee_basis_points: int
    grace_days: int
    suspend_after_days: int | None


@dataclass(frozen=True)
class OpenInvoice:
    invoice_id: UUID
    customer_id: UUID
    number: str | None
    due_on: date
    balance: int
    is_late_fee: bool
    """It is itself a late fee: no fee on a fee."""
    fee_charged: bool
    last_reminder: int | None
    """The latest schedule step reminded of, if any."""


@dataclass(frozen=True)
class Account:
    customer_id: UUID
    status: str
    never_suspend: bool
    credit: int
    suspended_by_dunning: bool


@dataclass(frozen=True)
class Planned:
    kind: str
    customer_id: UUID
    invoice_id: UUID | None = None
    step: int | None = None
    amount: int | None = None
    detail: str | None = None
    due_on: date | None = None
    number: str | None = None


def late_fee(policy: Policy, balance: int) -> int:
    """The fee on an overdue balance: fixed, or a share of it rounded half up."""
    if balance <= 0 or policy.late_fee_kind == "none":
        return 0
    if policy.late_fee_kind == "fixed":
        return policy.late_fee_amount
    return (2 * balance * policy.late_fee_basis_points + BASIS) // (2 * BASIS)


def plan(
    policy: Policy, today: date, invoices: list[OpenInvoice], accounts: dict[UUID, Account]
) -> list[Planned]:
    owed: dict[UUID, int] = {}
    overdue: dict[UUID, int] = {}
    oldest: dict[UUID, date] = {}
    for invoice in invoices:
        if invoice.balance <= 0:
            continue
        c = invoice.customer_id
        owed[c] = owed.get(c, 0) + invoice.balance
        if invoice.due_on < today:
            overdue[c] = overdue.get(c, 0) + invoice.balance
            oldest[c] = min(oldest.get(c, invoice.due_on), invoice.due_on)

    def net(amounts: dict[UUID, int], c: UUID) -> int:
        account = accounts.get(c)
        return amounts.get(c, 0) - (account.credit if account else 0)

    planned: list[Planned] = []
    for invoice in invoices:
        c, account = invoice.customer_id, accounts.get(invoice.customer_id)
        if invoice.balance <= 0 or account is None or account.status == "cancelled":
            continue
        steps = [d for d in policy.reminder_days if invoice.due_on + timedelta(days=d) <= today]
        if steps and net(owed, c) > 0:
            step = max(steps)
            if invoice.last_reminder is None or invoice.last_reminder < step:
                planned.append(
                    Planned(
                        "reminder",
                        c,
                        invoice.invoice_id,
                        step=step,
                        amount=invoice.balance,
                        due_on=invoice.due_on,
                        number=invoice.number,
                    )
                )
        past_grace = today > invoice.due_on + timedelta(days=policy.grace_days)
        if past_grace and not invoice.is_late_fee and not invoice.fee_charged:
            fee = late_fee(policy, invoice.balance)
            if fee > 0 and net(overdue, c) > 0:
                planned.append(
                    Planned(
                        "late_fee",
                        c,
                        invoice.invoice_id,
                        amount=fee,
                        due_on=invoice.due_on,
                        number=invoice.number,
                    )
                )
    for c, account in sorted(accounts.items(), key=lambda item: str(item[0])):
        behind = net(overdue, c)
        if (
            account.status == "active"
            and policy.suspend_after_days is not None
            and not account.never_suspend
            and behind > 0
            and oldest[c] + timedelta(days=policy.suspend_after_days) <= today
        ):
            planned.append(
                Planned(
                    "suspended",
                    c,
                    amount=behind,
                    detail=f"Overdue since {oldest[c]}: {behind} unpaid (minor units).",
                    due_on=oldest[c],
                )
            )
        elif account.status == "suspended" and account.suspended_by_dunning and behind <= 0:
            planned.append(
                Planned("reactivated", c, amount=0, detail="Paid: nothing is overdue any more.")
            )
    return planned
