"""Billing's arithmetic, in integer minor units: a line's tax, and a price prorated by the day.

The bill run does the same arithmetic in SQL (`billing.runs.repository`), for every customer of
an ISP at once; these functions are its definition, the property tests hold them to it, and an
integration test holds the SQL to them.
"""

from dataclasses import dataclass

from dotmac_contracts.money import MINOR_UNIT_DIGITS, minor_units_per_major

__all__ = ["MINOR_UNIT_DIGITS", "minor_units_per_major", "prorated", "taxed"]

BASIS = 10_000
"""Tax rates are in basis points: 2000 = 20.00%."""


@dataclass(frozen=True)
class Taxed:
    net: int
    """Without tax."""
    tax: int
    total: int
    """net + tax: what the customer pays for the line."""


def taxed(amount: int, basis_points: int, *, inclusive: bool) -> Taxed:
    """The tax of a line worth `amount`, rounded half up to the minor unit: added to it
    (exclusive), or the part of it that is tax (inclusive)."""
    if amount < 0 or not 0 <= basis_points <= BASIS:
        raise ValueError("a line's amount and tax rate are never negative")
    if inclusive:
        divisor = BASIS + basis_points
        tax = (2 * amount * basis_points + divisor) // (2 * divisor)
        return Taxed(net=amount - tax, tax=tax, total=amount)
    tax = (2 * amount * basis_points + BASIS) // (2 * BASIS)
    return Taxed(net=amount, tax=tax, total=amount + tax)


def prorated(price: int, period_days: int, start: int, end: int, cycle_months: int = 1) -> int:
    """The part of `price` (per billing cycle of `cycle_months` months) for days `start` up to
    `end` (offsets from the period's first day) of a one-month period of `period_days` days.

    The cumulative share up to each day is rounded down and a part is the difference of two,
    so any split of the period into parts sums to exactly the full period's share: no cent is
    lost or billed twice however the days are divided."""
    if not 0 <= start <= end <= period_days:
        raise ValueError("the days must lie within the period")
    whole = period_days * cycle_months
    return price * end // whole - price * start // whole
