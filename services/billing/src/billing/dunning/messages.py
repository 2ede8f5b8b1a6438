"""What the dunning workflow and its activities take and give."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Timeline:
    """The platform's dunning timeline, in days after the payment failed. Payment retries are
    one schedule, overdue states another (as the best billing systems keep them apart)."""

    retry_days: list[int] = field(default_factory=lambda: [1, 3, 7])
    suspend_day: int = 14
    cancel_day: int = 21


@dataclass(frozen=True)
class Dunning:
    isp_id: str
    timeline: Timeline = field(default_factory=Timeline)


@dataclass(frozen=True)
class Outcome:
    """How dunning ended: `settled` (paid; on `day`) or `cancelled`."""

    ended: str
    day: float
    retries: int
