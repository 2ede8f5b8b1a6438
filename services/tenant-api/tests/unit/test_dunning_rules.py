"""Dunning's judgement of a day, without I/O: reminders, late fees, suspensions."""

import uuid
from datetime import date, timedelta

from tenant_api.billing.dunning.rules import Account, OpenInvoice, Policy, late_fee, plan

DUE = date(2026, 5, 10)
POLICY = Policy(
    reminder_days=(-3, 1, 7),
    late_fee_kind="fixed",
    late_fee_amount=500,
    late_fee_basis_points=0,
    grace_days=5,
    suspend_after_days=30,
)


def bill(customer, balance=1000, due=DUE, **kw) -> OpenInvoice:
    values = {"is_late_fee": False, "fee_charged": False, "last_reminder": None, **kw}
    return OpenInvoice(uuid.uuid4(), customer, "INV-1", due, balance, **values)


def account(customer, credit=0, status="active", never=False, by_dunning=False) -> Account:
    return Account(customer, status, never, credit, by_dunning)


def kinds(planned):
    return [(p.kind, p.step) for p in planned]


def test_late_fee_only_after_due_date_plus_grace_and_once():
    c = uuid.uuid4()
    accounts = {c: account(c)}
    assert kinds(plan(POLICY, DUE + timedelta(days=5), [bill(c)], accounts)) == [("reminder", 1)]
    assert ("late_fee", None) in kinds(plan(POLICY, DUE + timedelta(days=6), [bill(c)], accounts))
    charged = bill(c, fee_charged=True, last_reminder=7)
    assert plan(POLICY, DUE + timedelta(days=8), [charged], accounts) == []
    assert (
        plan(
            POLICY, DUE + timedelta(days=8), [bill(c, is_late_fee=True, last_reminder=7)], accounts
        )
        == []
    )


def test_no_fee_on_a_zero_balance_or_when_credit_covers_what_is_overdue():
    c = uuid.uuid4()
    day = DUE + timedelta(days=20)
    assert plan(POLICY, day, [bill(c, balance=0)], {c: account(c)}) == []
    covered = plan(POLICY, day, [bill(c, balance=1000)], {c: account(c, credit=1000)})
    assert covered == [], "credit >= overdue: no fee, no reminder, no suspension"
    partly = plan(
        POLICY, day, [bill(c, balance=1000, last_reminder=7)], {c: account(c, credit=999)}
    )
    assert kinds(partly) == [("late_fee", None)]


def test_percent_fees_round_half_up():
    percent = Policy((), "percent", 0, 250, 0, None)
    assert late_fee(percent, 10_000) == 250
    assert late_fee(percent, 20) == 1  # 0.5 -> 1
    assert late_fee(percent, 19) == 0
    assert late_fee(percent, 0) == 0


def test_suspension_after_the_days_overdue_unless_never_suspend():
    a, b = uuid.uuid4(), uuid.uuid4()
    invoices = [
        bill(a, last_reminder=7, fee_charged=True),
        bill(b, last_reminder=7, fee_charged=True),
    ]
    accounts = {a: account(a), b: account(b, never=True)}
    assert plan(POLICY, DUE + timedelta(days=29), invoices, accounts) == []
    planned = plan(POLICY, DUE + timedelta(days=30), invoices, accounts)
    assert [(p.kind, p.customer_id) for p in planned] == [("suspended", a)]
    never = Policy((), "none", 0, 0, 0, None)
    assert plan(never, DUE + timedelta(days=300), invoices, accounts) == []


def test_reactivation_only_of_those_dunning_suspended_once_nothing_is_overdue():
    a, b = uuid.uuid4(), uuid.uuid4()
    accounts = {
        a: account(a, status="suspended", by_dunning=True),
        b: account(b, status="suspended", by_dunning=False),
    }
    planned = plan(POLICY, DUE, [], accounts)
    assert [(p.kind, p.customer_id) for p in planned] == [("reactivated", a)]
    still = plan(
        POLICY, DUE + timedelta(days=40), [bill(a, last_reminder=7, fee_charged=True)], accounts
    )
    assert still == []


def test_a_late_pass_sends_only_the_latest_reminder_due():
    c = uuid.uuid4()
    planned = plan(POLICY, DUE + timedelta(days=9), [bill(c, fee_charged=True)], {c: account(c)})
    assert kinds(planned) == [("reminder", 7)]
    sent = plan(
        POLICY,
        DUE + timedelta(days=9),
        [bill(c, fee_charged=True, last_reminder=7)],
        {c: account(c)},
    )
    assert sent == []


def test_reminders_show_money_as_people_read_it():
    from tenant_api.billing.dunning.service import readable

    assert readable(4205, "USD") == "42.05 USD"
    assert readable(500, "JPY") == "500 JPY"
    assert readable(1234, "KWD") == "1.234 KWD"
