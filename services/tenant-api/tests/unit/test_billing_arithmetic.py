"""The arithmetic subscriber billing rests on, for any input hypothesis can find: prorated
parts of a period sum to its full price, no day is billed twice, held and suspended days are
never billed, and a line's total is its net plus its tax."""

from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from tenant_api.billing.money import BASIS, prorated, taxed
from tenant_api.billing.periods import billable, period_of

prices = st.integers(min_value=0, max_value=10**9)
rates = st.integers(min_value=0, max_value=BASIS)
months = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 1))
billing_days = st.integers(min_value=1, max_value=28)
cycles = st.sampled_from([1, 3, 12])


@given(months, billing_days)
def test_periods_follow_each_other_without_gap_or_overlap(month, day):
    start, end = period_of(month, day)
    assert start.day == end.day == day
    assert 28 <= (end - start).days <= 31
    assert period_of(end, day)[0] == end


@given(prices, months, billing_days, cycles, st.data())
def test_any_split_of_a_period_sums_to_its_full_price(price, month, day, cycle, data):
    start, end = period_of(month, day)
    n = (end - start).days
    cuts = sorted(data.draw(st.sets(st.integers(min_value=1, max_value=n - 1), max_size=n - 1)))
    bounds = [0, *cuts, n]
    parts = [prorated(price, n, a, b, cycle) for a, b in pairwise(bounds)]
    assert sum(parts) == prorated(price, n, 0, n, cycle) == price // cycle
    assert all(part >= 0 for part in parts)


@given(prices, st.integers(min_value=28, max_value=31), st.data())
def test_a_longer_stretch_never_costs_less(price, n, data):
    a = data.draw(st.integers(min_value=0, max_value=n))
    b = data.draw(st.integers(min_value=a, max_value=n))
    assert prorated(price, n, a, b) <= prorated(price, n, 0, n)
    assert prorated(price, n, a, b) <= price * (b - a) // n + 1


day_offsets = st.integers(min_value=0, max_value=40)
ranges = st.tuples(day_offsets, day_offsets).map(sorted)


@given(ranges, st.lists(ranges, max_size=6))
def test_held_and_suspended_days_are_never_billed_and_no_day_twice(served, off):
    base = date(2026, 1, 1)

    def days(r):
        return (base + timedelta(days=r[0]), base + timedelta(days=r[1]))

    pieces = billable(days(served), *(days(r) for r in off))
    billed = [p[0] + timedelta(days=i) for p in pieces for i in range((p[1] - p[0]).days)]
    assert len(billed) == len(set(billed)), "a day billed twice"
    excluded = {base + timedelta(days=i) for a, b in off for i in range(a, b)}
    wanted = {base + timedelta(days=i) for i in range(*served)} - excluded
    assert set(billed) == wanted
    assert all(a < b for a, b in pieces) and pieces == sorted(pieces)


@given(st.lists(st.tuples(st.integers(min_value=0, max_value=10**9), rates, st.booleans())))
def test_an_invoice_total_is_its_lines_plus_their_tax(lines):
    taxes = [taxed(amount, rate, inclusive=inclusive) for amount, rate, inclusive in lines]
    for (amount, rate, inclusive), t in zip(lines, taxes, strict=True):
        assert t.net + t.tax == t.total
        assert t.tax >= 0 and t.net >= 0
        assert (t.total if inclusive else t.net) == amount
        # rounded half up to the minor unit: never more than half a unit off the exact tax
        exact = amount * rate / ((BASIS + rate) if inclusive else BASIS)
        assert abs(t.tax - exact) <= 0.5
    assert sum(t.total for t in taxes) == sum(t.net for t in taxes) + sum(t.tax for t in taxes)


def test_minor_units_follow_iso_4217():
    from tenant_api.billing.money import minor_units_per_major

    assert [minor_units_per_major(c) for c in ("USD", "EUR", "JPY", "KWD")] == [100, 100, 1, 1000]
