"""Polling a fleet on its own schedule: each device every `interval_s` (60 s by default, down to
10 s per device), at an offset of its own within the interval (so a fleet is not polled in one
burst), at most `concurrency` at a time, and each reading given a deadline inside the
interval. A device that does not answer in time is a missed deadline, counted; it never holds
the others up: the schedule does not wait for any reading. Each reading starts up to
`jitter_share` of the interval after its slot, at random, so devices that share a slot (or a
fleet that shares a clock with its own periodic jobs) are not read in lockstep; slots stay on
their grid, so the jitter does not add up.

Each reading becomes rates against the device's previous one (`rates`), handed to `emit`.
"""

import asyncio
import heapq
import logging
import random
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from uuid import UUID

from network.metrics import POLL_SECONDS, POLLS
from network.polling.rates import rate, restarted, utilisation
from network.polling.snmp import (
    Credentials,
    DeviceReading,
    Malformed,
    Unreachable,
    read_device,
)

log = logging.getLogger(__name__)
MAX_BACKOFF_S = 300.0
"""The longest a failing device waits between tries."""
BACKOFF_AFTER = 5
"""Failures in a row before a device is tried less often: not sooner, so that an unreachable
device is alerted (after 3 polls by default) on its own interval."""


@dataclass(frozen=True)
class Target:
    device_id: UUID
    tenant_id: UUID
    host: str
    port: int
    credentials: Credentials
    interval_s: float = 60.0
    name: str = ""


@dataclass(frozen=True)
class InterfaceSample:
    index: int
    name: str
    oper_up: bool | None
    admin_up: bool | None
    speed_mbps: int | None
    in_bps: float | None
    out_bps: float | None
    in_utilisation: float | None
    out_utilisation: float | None
    errors_in: int | None
    note: str | None = None


@dataclass(frozen=True)
class DeviceSample:
    target: Target
    at: float
    """Wall-clock time of the reading (seconds since the epoch)."""
    uptime_ticks: int
    interfaces: tuple[InterfaceSample, ...]
    cpu_load_pct: float | None = None
    memory_used_pct: float | None = None


@dataclass
class _Last:
    reading: DeviceReading
    at: float


@dataclass
class Poller:
    emit: Callable[[DeviceSample], Awaitable[None]]
    """Hands on each reading."""
    judge: Callable[[Target, str, int, DeviceSample | None], Awaitable[None]] | None = None
    """Told of every poll: the target, its outcome, the failures in a row, the reading (None
    if there was none)."""
    concurrency: int = 200
    deadline_share: float = 0.8
    """A reading is due within this share of the device's interval."""
    timeout_s: float = 2.0
    """Per SNMP request (a reading is several)."""
    jitter_share: float = 0.1
    """A reading starts within this share of the interval after its slot."""
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("ok", "unreachable", "malformed", "missed"), 0)
    )

    def __post_init__(self) -> None:
        self._targets: dict[UUID, Target] = {}
        self._last: dict[UUID, _Last] = {}
        self._due: list[tuple[float, float, UUID]] = []
        """(when it is due, its slot, device), soonest first"""
        self._slots: dict[UUID, float] = {}
        """Each device's next slot: an entry of `_due` with another slot is stale."""
        self._gate = asyncio.Semaphore(self.concurrency)
        self._changed = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()
        self._failures: dict[UUID, int] = {}
        self.version = 0
        """Moves with every change of the targets (for indexes kept elsewhere)."""

    @property
    def targets(self) -> dict[UUID, Target]:
        return self._targets

    def watch(self, target: Target) -> None:
        """Poll `target` from now on (again, with new settings, if it was polled already)."""
        known = self._targets.get(target.device_id)
        self._targets[target.device_id] = target
        self.version += 1
        if known is not None and (known.host, known.port) != (target.host, target.port):
            self._last.pop(target.device_id, None)
        if known is None or known.interval_s != target.interval_s:
            # a new device, or a new interval: its slots are laid out again, from now
            offset = (zlib.crc32(target.device_id.bytes) % 1000) / 1000 * target.interval_s
            slot = time.monotonic() + offset
            self._slots[target.device_id] = slot
            heapq.heappush(self._due, (slot, slot, target.device_id))
            self._changed.set()

    def forget(self, device_id: UUID) -> None:
        self._targets.pop(device_id, None)
        self._slots.pop(device_id, None)
        self._failures.pop(device_id, None)
        self.version += 1
        self._last.pop(device_id, None)

    async def run(self) -> None:
        while True:
            now = time.monotonic()
            while self._due and self._due[0][0] <= now:
                _, slot, device_id = heapq.heappop(self._due)
                target = self._targets.get(device_id)
                if target is None or self._slots.get(device_id) != slot:
                    continue  # forgotten, or rescheduled
                failures = self._failures.get(device_id, 0)
                # A device that keeps failing is tried less often (up to every MAX_BACKOFF_S),
                # so a fleet's dead devices cannot fill the concurrency the live ones need.
                backoff = min(max(failures - BACKOFF_AFTER + 1, 0), 8)
                wait = min(target.interval_s * 2**backoff, MAX_BACKOFF_S)
                next_slot = slot + max(wait, target.interval_s)
                if next_slot <= now:  # far behind (the loop was starved): start afresh
                    next_slot = now + target.interval_s
                self._slots[device_id] = next_slot
                jitter = random.uniform(0, self.jitter_share * target.interval_s)
                heapq.heappush(self._due, (next_slot + jitter, next_slot, device_id))
                task = asyncio.create_task(self._poll(target))
                self._running.add(task)
                task.add_done_callback(self._running.discard)
            self._changed.clear()
            wait = self._due[0][0] - time.monotonic() if self._due else 3600.0
            try:
                async with asyncio.timeout(max(wait, 0.0)):
                    await self._changed.wait()
            except TimeoutError:
                pass

    async def _poll(self, target: Target) -> None:
        deadline = target.interval_s * self.deadline_share
        started = time.monotonic()
        outcome = "ok"
        try:
            async with asyncio.timeout(deadline):
                async with self._gate:
                    reading = await read_device(
                        target.host, target.port, target.credentials, timeout_s=self.timeout_s
                    )
        except TimeoutError:
            outcome = "missed"
        except Unreachable:
            outcome = "unreachable"
        except Malformed as malformed:
            outcome = "malformed"
            log.warning("device %s: %s", target.device_id, malformed)
        self.counts[outcome] += 1
        POLLS.labels(outcome).inc()
        if outcome != "ok":
            failures = self._failures[target.device_id] = (
                self._failures.get(target.device_id, 0) + 1
            )
            if target.device_id in self._targets:
                await self._judge(target, outcome, failures, None)
            return
        self._failures.pop(target.device_id, None)
        POLL_SECONDS.observe(time.monotonic() - started)
        if target.device_id not in self._targets:
            return
        at = time.time()
        sample = self._sample(target, reading, at)
        self._last[target.device_id] = _Last(reading, at)
        try:
            await self.emit(sample)
        except Exception:
            log.exception("could not hand on a reading of %s", target.device_id)
        await self._judge(target, outcome, 0, sample)

    async def _judge(
        self, target: Target, outcome: str, failures: int, sample: DeviceSample | None
    ) -> None:
        if self.judge is None:
            return
        try:
            await self.judge(target, outcome, failures, sample)
        except Exception:
            log.exception("could not judge a poll of %s", target.device_id)

    def _sample(self, target: Target, reading: DeviceReading, at: float) -> DeviceSample:
        last = self._last.get(target.device_id)
        elapsed = at - last.at if last else 0.0
        rebooted = restarted(last.reading.uptime_ticks if last else None, reading.uptime_ticks)
        interfaces = []
        for index, now in sorted(reading.interfaces.items()):
            before = last.reading.interfaces.get(index) if last else None
            inbound = (
                rate(
                    before.octets_in if before else None,
                    now.octets_in,
                    elapsed,
                    rebooted=rebooted,
                )
                if now.octets_in
                else None
            )
            outbound = (
                rate(
                    before.octets_out if before else None,
                    now.octets_out,
                    elapsed,
                    rebooted=rebooted,
                )
                if now.octets_out
                else None
            )
            in_bps = inbound.bps if inbound else None
            out_bps = outbound.bps if outbound else None
            interfaces.append(
                InterfaceSample(
                    index=index,
                    name=now.name,
                    oper_up=now.oper_up,
                    admin_up=now.admin_up,
                    speed_mbps=now.speed_mbps,
                    in_bps=in_bps,
                    out_bps=out_bps,
                    in_utilisation=utilisation(in_bps, now.speed_mbps),
                    out_utilisation=utilisation(out_bps, now.speed_mbps),
                    errors_in=now.errors_in,
                    note=(inbound.reason if inbound else None),
                )
            )
        return DeviceSample(
            target,
            at,
            reading.uptime_ticks,
            tuple(interfaces),
            cpu_load_pct=reading.cpu_load_pct,
            memory_used_pct=reading.memory_used_pct,
        )
