"""From two readings of an interface's counters to rates a person reads: bits a second in and
out, and utilisation against its speed. Counters are cumulative and wrap (a 32-bit one at
2^32, every 34 s at 1 Gb/s); a device that rebooted starts them again from zero, which is a
reset, not a spike; a counter that goes backwards without a reboot is not believed."""

from dataclasses import dataclass

WRAP_32 = 2**32
WRAP_64 = 2**64


@dataclass(frozen=True)
class CounterReading:
    value: int
    bits: int
    """32 or 64: the counter's width."""


@dataclass(frozen=True)
class Rate:
    bps: float | None
    """None: no rate this time (the first reading, a reboot, a counter that went backwards)."""
    reason: str | None = None


def delta(before: CounterReading, after: CounterReading) -> int | None:
    """How much the counter grew; one wrap of a 32-bit counter is allowed, a 64-bit counter
    never wraps in practice (at 100 Gb/s it takes 46 years), so going backwards is a reset."""
    if after.bits != before.bits:
        return None
    if after.value >= before.value:
        return after.value - before.value
    if after.bits == 32:
        return after.value + WRAP_32 - before.value
    return None


def rate(
    before: CounterReading | None,
    after: CounterReading,
    elapsed_s: float,
    *,
    rebooted: bool = False,
) -> Rate:
    """Bits a second between two readings of an octet counter."""
    if before is None:
        return Rate(None, "first reading")
    if rebooted:
        return Rate(None, "device restarted: counters start again")
    if elapsed_s <= 0:
        return Rate(None, "no time passed")
    grown = delta(before, after)
    if grown is None:
        return Rate(None, "counter went backwards")
    return Rate(grown * 8 / elapsed_s)


def restarted(uptime_before: int | None, uptime_after: int) -> bool:
    """sysUpTime (1/100 s) went backwards: the agent restarted since the last reading (it
    wraps after 497 days, a restart too for our purpose)."""
    return uptime_before is not None and uptime_after < uptime_before


def utilisation(bps: float | None, speed_mbps: int | None) -> float | None:
    """Share of the interface's speed (ifHighSpeed, Mb/s) in use, 0-1; None when unknown."""
    if bps is None or not speed_mbps:
        return None
    return min(bps / (speed_mbps * 1_000_000), 1.0)
