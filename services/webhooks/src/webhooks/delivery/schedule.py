"""When a failed delivery is tried again."""

import random
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

MAX_RETRY_AFTER_S = 24 * 3600.0


def delay_before(step: int, schedule: Sequence[float], jitter: float) -> float | None:
    """Seconds before attempt number `step` (0-based) of the schedule, moved by up to
    `jitter` of itself either way so that endpoints that failed together are not all retried
    at the same instant; None once the schedule has run out."""
    if step >= len(schedule):
        return None
    base = schedule[step]
    return max(0.0, base * (1 + random.uniform(-jitter, jitter)))


def retry_after(header: str | None, now: datetime | None = None) -> float | None:
    """A `Retry-After` header's wait, in seconds (delta-seconds or an HTTP date), capped at a
    day; None if absent or unreadable."""
    if not header:
        return None
    header = header.strip()
    if header.isdigit():
        return min(float(header), MAX_RETRY_AFTER_S)
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    wait = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(wait, 0.0), MAX_RETRY_AFTER_S)
