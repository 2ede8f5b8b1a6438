"""Billing periods and the days of them that are billed."""

from datetime import date, timedelta

Days = tuple[date, date]
"""From the first day up to (not including) the second."""


def period_of(month: date, billing_day: int) -> Days:
    """The period that starts on the billing day of `month`'s month and ends on the billing
    day of the next."""
    start = month.replace(day=billing_day)
    following = (start.replace(day=1) + timedelta(days=32)).replace(day=billing_day)
    return start, following


def billable(served: Days, *unbilled: Days) -> list[Days]:
    """The days of `served` outside every `unbilled` range (holds, suspensions), as ranges in
    order; no day appears twice."""
    pieces = [served] if served[0] < served[1] else []
    for off_from, off_to in unbilled:
        kept: list[Days] = []
        for start, end in pieces:
            if off_to <= start or end <= off_from:
                kept.append((start, end))
                continue
            if start < off_from:
                kept.append((start, off_from))
            if off_to < end:
                kept.append((off_to, end))
        pieces = kept
    return pieces
