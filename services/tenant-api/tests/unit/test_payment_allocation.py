"""Allocation's promises, for any payments, invoices and refunds: a payment never allocates
more than was paid, nor more than an invoice owes; what it holds on invoices plus its credit is
always what was paid less what was refunded; and it pays the oldest invoice in full before the
next gets anything."""

import uuid

from hypothesis import given
from hypothesis import strategies as st

from tenant_api.billing.payments.allocation import Applied, Owed, allocate, unwind

balances = st.lists(st.integers(min_value=0, max_value=100_000), max_size=12)
amounts = st.integers(min_value=0, max_value=500_000)


def owed_of(values: list[int]) -> list[Owed]:
    return [Owed(uuid.uuid4(), v) for v in values]


@given(amounts, balances)
def test_allocation_never_exceeds_what_was_paid_or_owed(amount, values):
    owed = owed_of(values)
    applied, credit = allocate(amount, owed)
    assert all(a.amount > 0 for a in applied)
    assert sum(a.amount for a in applied) + credit == amount
    assert credit >= 0
    by_id = {o.invoice_id: o.balance for o in owed}
    assert all(a.amount <= by_id[a.invoice_id] for a in applied)
    assert credit == max(0, amount - sum(values)), "credit only once every invoice is paid"


@given(amounts, balances)
def test_the_oldest_invoice_is_paid_in_full_before_the_next(amount, values):
    owed = owed_of(values)
    applied, _ = allocate(amount, owed)
    got = {a.invoice_id: a.amount for a in applied}
    shares = [got.get(o.invoice_id, 0) for o in owed]
    for i, (share, invoice) in enumerate(zip(shares, owed, strict=True)):
        if share < invoice.balance:  # not paid in full: nothing later got anything
            assert all(later == 0 for later in shares[i + 1 :])


@given(
    st.lists(st.tuples(amounts, balances), min_size=1, max_size=4),
    st.lists(st.integers(min_value=0, max_value=100), max_size=6),
)
def test_allocated_plus_credit_is_paid_less_refunded_through_refunds(payments, refund_shares):
    """Payments allocated and then refunded in parts: the ledger of each payment adds up."""
    for amount, values in payments:
        owed = owed_of(values)
        applied, credit = allocate(amount, owed)
        held = {a.invoice_id: a.amount for a in applied}
        refunded = 0
        for share in refund_shares:
            left = amount - refunded
            refund = left * share // 100
            newest_first = [Applied(i, a) for i, a in reversed(list(held.items())) if a > 0]
            taken = unwind(refund, credit, newest_first)
            from_invoices = sum(t.amount for t in taken)
            assert from_invoices <= refund
            credit -= refund - from_invoices
            for t in taken:
                held[t.invoice_id] -= t.amount
                assert held[t.invoice_id] >= 0
            refunded += refund
            assert credit >= 0
            assert sum(held.values()) + credit == amount - refunded
            if from_invoices:
                assert credit == 0, "the credit goes back before any invoice is reopened"


def test_a_refund_of_more_than_the_payment_holds_is_refused():
    import pytest

    with pytest.raises(ValueError):
        unwind(101, 50, [Applied(uuid.uuid4(), 50)])
