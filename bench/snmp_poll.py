"""SNMP polling by one poller process: a simulated fleet's interface counters read on a fixed
cycle, with the share of readings that missed their deadline, and the same fleet read by
Debian's prometheus-snmp-exporter for comparison.

Needs nothing running: the bench starts its own simulated agents (snmpsim, from devstack.snmp,
spread over `--agents` processes on free UDP ports; installed into .dotmac/tools on first use)
and runs the network service's poller (network.polling.poller) in this process, as its poll role
does, minus the publishing (readings are counted, not sent). Run:

    .venv/bin/python bench/snmp_poll.py                        # 500 devices x 20 interfaces, 60 s
    .venv/bin/python bench/snmp_poll.py --devices 100 --cycle-s 10 --cycles 2 --closed-loop-s 10

Every device is polled once per `--cycle-s` at its own offset in the cycle, at most
`--concurrency` at a time, each reading with a deadline of 80% of the cycle. A reading is what
the poller reads (network.polling.snmp.read_device): sysUpTime and GETBULK walks of
ifHCInOctets, ifHCOutOctets, ifHighSpeed, ifOperStatus, ifAdminStatus, ifName, ifInErrors,
ifInDiscards, hrProcessorLoad and hrStorageType. The bench runs `--cycles` whole cycles after a
warm-up of one.

The peer is prometheus-snmp-exporter (Debian's package, unpacked by devstack.debian), started
on a free port with an snmp.yml written here (its generator needs MIBs no reachable package
carries): one module per device, since the exporter (0.21) takes the community from the module,
walking the same columns with the same GETBULK size (10, aiosnmp's), timeout (2 s) and retries
(1) as the poller. Each device is scraped over HTTP (`/snmp?target=...&module=...`) on the same
cycle, offsets, concurrency and deadline: its missed share on that cycle.

On a cycle the machine keeps up with, both read every device once per cycle and their rates are
equal, which says nothing. So `ratio_vs_snmp_exporter` compares the most each sustains: for
`--closed-loop-s` each, in turn, `--concurrency` workers read (or scrape) the devices back to
back, on the same agents. That is fair on this machine only as a whole: the agents, the poller
or the exporter, and the scraper share its cores, so the one that costs less CPU leaves more
to the agents. Hence the CPU each costs a reading is reported too (`cpu_ms_per_poll`; the
exporter's excludes the scraping, which Prometheus would do, reported as `scraper_cpu_ms`).

Last line, one JSON object: {"interfaces": ..., "cycle_s": ..., "missed_pct": ...,
"polls_per_s": ..., "interfaces_per_s": ..., "ratio_vs_snmp_exporter": ..., "snmp_exporter":
{...}, "closed_loop": {...}, ...}. `polls_per_s` counts device readings, `interfaces_per_s` the
interface counters read. `--no-exporter` skips the peer, `--closed-loop-s 0` the closed loops
(either leaves the ratio null).
Goal on 2 cores: 10,000 interfaces on a 60 s cycle with under 1% missed, one process.
"""

import argparse
import asyncio
import itertools
import json
import os
import resource
import sys
import tempfile
import time
import uuid
import zlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import uvloop

import network.polling.snmp as network_snmp
from devstack.debian import program
from devstack.ports import LOCALHOST, free_port, free_udp_port
from devstack.process import Component, http_status
from devstack.snmp import Device, Interface, SnmpSim, write_fleet
from network.polling.poller import DeviceSample, Poller, Target

TIMEOUT_S = 2.0
RETRIES = 1
MAX_REPETITIONS = 10  # aiosnmp's default, which the poller uses
DEADLINE_SHARE = 0.8
WALKED = {  # what read_device walks on a device with 64-bit counters, as the exporter's metrics
    "ifHCInOctets": ("1.3.6.1.2.1.31.1.1.1.6", "counter"),
    "ifHCOutOctets": ("1.3.6.1.2.1.31.1.1.1.10", "counter"),
    "ifHighSpeed": ("1.3.6.1.2.1.31.1.1.1.15", "gauge"),
    "ifOperStatus": ("1.3.6.1.2.1.2.2.1.8", "gauge"),
    "ifAdminStatus": ("1.3.6.1.2.1.2.2.1.7", "gauge"),
    "ifName": ("1.3.6.1.2.1.31.1.1.1.1", "DisplayString"),
    "ifInErrors": ("1.3.6.1.2.1.2.2.1.14", "counter"),
    "ifInDiscards": ("1.3.6.1.2.1.2.2.1.13", "counter"),
    "hrProcessorLoad": ("1.3.6.1.2.1.25.3.3.1.2", "gauge"),
    "hrStorageType": ("1.3.6.1.2.1.25.2.3.1.2", "DisplayString"),  # an OID, as text
}
SYS_UPTIME = "1.3.6.1.2.1.1.3"
OUTCOMES = ("ok", "unreachable", "malformed", "missed")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def fleet(devices: int, interfaces: int) -> list[Device]:
    return [
        Device(
            f"bench-{n:05d}",
            f"router-{n:05d}",
            tuple(
                Interface(f"ge-0/0/{i}", speed_mbps=1000, in_bps=(i + 1) * 1_000_000)
                for i in range(interfaces)
            ),
        )
        for n in range(devices)
    ]


def offset(n: int, cycle_s: float) -> float:
    return (zlib.crc32(n.to_bytes(4, "big")) % 1000) / 1000 * cycle_s


class Cpu:
    """CPU seconds spent by this process and by some children (read from /proc while they run)."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.start = self._now()

    @staticmethod
    def _process(pid: int) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _now(self) -> tuple[float, list[float]]:
        own = resource.getrusage(resource.RUSAGE_SELF)
        return own.ru_utime + own.ru_stime, [self._process(pid) for pid in self.pids]

    def spent(self) -> tuple[float, list[float]]:
        own, children = self._now()
        return own - self.start[0], [c - s for c, s in zip(children, self.start[1], strict=True)]


# --- the peer: prometheus-snmp-exporter ------------------------------------------------------


def exporter_config(devices: list[Device]) -> str:
    """snmp.yml in the exporter's 0.21 format, as JSON (which YAML reads): one module a device."""
    metrics: list[dict[str, Any]] = [
        {"name": "sysUpTime", "oid": SYS_UPTIME, "type": "gauge", "help": "sysUpTime"}
    ]
    for name, (oid, kind) in WALKED.items():
        index = "hrStorageIndex" if name.startswith("hrStorage") else "ifIndex"
        if name == "hrProcessorLoad":
            index = "hrDeviceIndex"
        metrics.append(
            {
                "name": name,
                "oid": oid,
                "type": kind,
                "help": name,
                "indexes": [{"labelname": index, "type": "gauge"}],
            }
        )
    module = {
        "walk": [oid for oid, _ in WALKED.values()],
        "get": [f"{SYS_UPTIME}.0"],
        "metrics": metrics,
        "version": 2,
        "max_repetitions": MAX_REPETITIONS,
        "retries": RETRIES,
        "timeout": f"{TIMEOUT_S:g}s",
    }
    modules = {d.community: {**module, "auth": {"community": d.community}} for d in devices}
    return json.dumps(modules)


class SnmpExporter(Component):
    def __init__(self, port: int, config: Path, log: Path) -> None:
        self.port = port
        self.config = config
        super().__init__("prometheus-snmp-exporter", log)

    def prepare(self) -> None:
        self.program = program("prometheus-snmp-exporter", "prometheus-snmp-exporter")

    def command(self) -> list[str]:
        return [
            str(self.program.path),
            f"--config.file={self.config}",
            f"--web.listen-address={LOCALHOST}:{self.port}",
            "--log.level=warn",
        ]

    def environment(self) -> dict[str, str]:
        return self.program.environment()

    def ports(self) -> list[int]:
        return [self.port]

    def probe(self) -> bool:
        return http_status(f"http://{LOCALHOST}:{self.port}/") == 200


def scraper(
    session: aiohttp.ClientSession, exporter: SnmpExporter, devices: list[Device], ports: list[int]
) -> Callable[[int], Awaitable[str]]:
    async def scrape(n: int) -> str:
        params = {"target": f"{LOCALHOST}:{ports[n % len(ports)]}", "module": devices[n].community}
        try:
            async with session.get(
                f"http://{LOCALHOST}:{exporter.port}/snmp", params=params
            ) as response:
                body = await response.text()
        except aiohttp.ClientError:
            return "unreachable"
        if response.status != 200:
            return "unreachable"  # the exporter answers 500 when the device did not
        return "ok" if "ifHCInOctets{" in body else "malformed"

    return scrape


async def on_cycle(
    scrape: Callable[[int], Awaitable[str]], devices: int, args: argparse.Namespace
) -> dict[str, int]:
    """Scrape every device once a cycle at its offset, as the poller schedules readings;
    outcomes of the measured cycles (after a warm-up one)."""
    gate = asyncio.Semaphore(args.concurrency)
    counts = dict.fromkeys(OUTCOMES, 0)
    measuring = False
    started = time.monotonic()
    running: set[asyncio.Task[None]] = set()

    async def one(n: int) -> None:
        try:
            async with asyncio.timeout(args.cycle_s * DEADLINE_SHARE):
                async with gate:
                    outcome = await scrape(n)
        except TimeoutError:
            outcome = "missed"
        if measuring:
            counts[outcome] += 1

    async def device(n: int) -> None:
        slot = started + offset(n, args.cycle_s)
        while True:
            await asyncio.sleep(max(slot - time.monotonic(), 0))
            task = asyncio.create_task(one(n))
            running.add(task)
            task.add_done_callback(running.discard)
            slot += args.cycle_s

    schedules = [asyncio.create_task(device(n)) for n in range(devices)]
    try:
        say(f"exporter: warm-up cycle ({args.cycle_s:g} s)")
        await asyncio.sleep(args.cycle_s)
        measuring = True
        say(f"exporter: measuring {args.cycles} cycles")
        await asyncio.sleep(args.cycle_s * args.cycles)
        measuring = False
    finally:
        for task in [*schedules, *running]:
            task.cancel()
        await asyncio.gather(*schedules, *running, return_exceptions=True)
    return counts


async def closed_loop(
    read: Callable[[int], Awaitable[bool]], devices: int, workers: int, seconds: float
) -> tuple[int, int, float]:
    """`workers` reading devices back to back for `seconds`: (succeeded, failed, elapsed)."""
    turns = itertools.count()
    done = {True: 0, False: 0}
    stop_at = time.monotonic() + seconds

    async def worker() -> None:
        while time.monotonic() < stop_at:
            done[await read(next(turns) % devices)] += 1

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return done[True], done[False], time.monotonic() - started


def per_poll_ms(cpu_s: float, polls: int) -> float | None:
    return round(1000 * cpu_s / polls, 3) if polls else None


# --- the run ---------------------------------------------------------------------------------


async def poller_on_cycle(
    devices: list[Device], ports: list[int], args: argparse.Namespace
) -> tuple[dict[str, int], int, int, float]:
    readings = 0
    interfaces_read = 0

    async def count(sample: DeviceSample) -> None:
        nonlocal readings, interfaces_read
        readings += 1
        interfaces_read += len(sample.interfaces)

    poller = Poller(count, concurrency=args.concurrency, timeout_s=TIMEOUT_S)
    tenant = uuid.uuid4()
    for n, device in enumerate(devices):
        poller.watch(
            Target(
                uuid.uuid4(),
                tenant,
                LOCALHOST,
                ports[n % len(ports)],
                network_snmp.Community(device.community),
                interval_s=args.cycle_s,
            )
        )
    running = asyncio.create_task(poller.run())
    say(f"poller: warm-up cycle ({args.cycle_s:g} s)")
    await asyncio.sleep(args.cycle_s)
    before = dict(poller.counts)
    readings = interfaces_read = 0
    started = time.monotonic()
    say(f"poller: measuring {args.cycles} cycles")
    await asyncio.sleep(args.cycle_s * args.cycles)
    elapsed = time.monotonic() - started
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    counts = {k: poller.counts[k] - before[k] for k in poller.counts}
    return counts, readings, interfaces_read, elapsed


def missed_pct(counts: dict[str, int]) -> float | None:
    attempted = sum(counts.values())
    return round(100 * counts["missed"] / attempted, 3) if attempted else None


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--interfaces", type=int, default=20, help="per device")
    parser.add_argument("--cycle-s", type=float, default=60.0)
    parser.add_argument("--cycles", type=int, default=2, help="measured, after one warm-up")
    parser.add_argument("--agents", type=int, default=4, help="snmpsim processes")
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--closed-loop-s", type=float, default=30.0, help="each, 0: none")
    parser.add_argument("--no-exporter", action="store_true", help="skip the comparison")
    args = parser.parse_args()

    devices = fleet(args.devices, args.interfaces)
    work = Path(tempfile.mkdtemp(prefix="bench-snmp-"))
    agents: list[SnmpSim] = []
    ports: list[int] = []
    exporter: SnmpExporter | None = None
    say(f"starting {args.agents} snmpsim processes for {args.devices} devices")
    for a in range(args.agents):
        share = devices[a :: args.agents]
        port = free_udp_port()
        write_fleet(work / f"agent-{a}" / "data", share)
        agent = SnmpSim(
            [port],
            work / f"agent-{a}" / "data",
            work / f"agent-{a}" / "work",
            probe_community=share[0].community,
        )
        agent.start()
        agents.append(agent)
        ports.append(port)
    # device n is on agent n % agents (the order write_fleet spread them in)
    figures: dict[str, Any] = {}
    try:
        for agent in agents:
            agent.wait_ready(timeout=120)
        agent_pids = [agent.pid for agent in agents if agent.pid is not None]

        cpu = Cpu(agent_pids)
        started = time.monotonic()
        counts, readings, interfaces_read, elapsed = await poller_on_cycle(devices, ports, args)
        own_cpu, agents_cpu = cpu.spent()
        total = time.monotonic() - started  # the CPU figures span the warm-up too
        figures.update(
            {
                "interfaces": args.devices * args.interfaces,
                "cycle_s": args.cycle_s,
                "missed_pct": missed_pct(counts),
                "polls_per_s": round(readings / elapsed, 1),
                "interfaces_per_s": round(interfaces_read / elapsed, 1),
                "ratio_vs_snmp_exporter": None,
                "devices": args.devices,
                "outcomes": counts,
                "poller_cpu_pct": round(100 * own_cpu / total, 1),
                "agents_cpu_pct": round(100 * sum(agents_cpu) / total, 1),
            }
        )

        async def read(n: int) -> bool:
            try:
                await network_snmp.read_device(
                    LOCALHOST,
                    ports[n % len(ports)],
                    network_snmp.Community(devices[n].community),
                    timeout_s=TIMEOUT_S,
                    retries=RETRIES,
                )
            except (network_snmp.Unreachable, network_snmp.Malformed):
                return False
            return True

        closed: dict[str, Any] = {"seconds": args.closed_loop_s, "workers": args.concurrency}
        if args.closed_loop_s > 0:
            say(f"poller: closed loop ({args.closed_loop_s:g} s)")
            cpu = Cpu(agent_pids)
            ok, failed, elapsed = await closed_loop(
                read, args.devices, args.concurrency, args.closed_loop_s
            )
            own_cpu, agents_cpu = cpu.spent()
            closed["polls_per_s"] = round(ok / elapsed, 1)
            closed["failed"] = failed
            closed["cpu_ms_per_poll"] = per_poll_ms(own_cpu, ok)
            closed["agents_cpu_pct"] = round(100 * sum(agents_cpu) / elapsed, 1)
        figures["closed_loop"] = closed

        if not args.no_exporter:
            config = work / "snmp.yml"
            config.write_text(exporter_config(devices))
            exporter = SnmpExporter(free_port(), config, work / "snmp-exporter.log")
            exporter.start()
            exporter.wait_ready(timeout=60)
            assert exporter.pid is not None
            peer: dict[str, Any] = {}
            connector = aiohttp.TCPConnector(limit=args.concurrency)
            timeout = aiohttp.ClientTimeout(total=None)
            async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
                scrape = scraper(session, exporter, devices, ports)
                cpu = Cpu([exporter.pid, *agent_pids])
                started = time.monotonic()
                counts = await on_cycle(scrape, args.devices, args)
                total = time.monotonic() - started
                scraper_cpu, (exporter_cpu, *agents_cpu) = cpu.spent()
                peer.update(
                    {
                        "missed_pct": missed_pct(counts),
                        "polls_per_s": round(counts["ok"] / (args.cycle_s * args.cycles), 1),
                        "outcomes": counts,
                        "exporter_cpu_pct": round(100 * exporter_cpu / total, 1),
                        "scraper_cpu_pct": round(100 * scraper_cpu / total, 1),
                        "agents_cpu_pct": round(100 * sum(agents_cpu) / total, 1),
                    }
                )
                if args.closed_loop_s > 0:
                    say(f"exporter: closed loop ({args.closed_loop_s:g} s)")

                    async def scraped(n: int) -> bool:
                        return await scrape(n) == "ok"

                    cpu = Cpu([exporter.pid, *agent_pids])
                    ok, failed, elapsed = await closed_loop(
                        scraped, args.devices, args.concurrency, args.closed_loop_s
                    )
                    scraper_cpu, (exporter_cpu, *agents_cpu) = cpu.spent()
                    peer_closed = {
                        "polls_per_s": round(ok / elapsed, 1),
                        "failed": failed,
                        "cpu_ms_per_poll": per_poll_ms(exporter_cpu, ok),
                        "scraper_cpu_ms": per_poll_ms(scraper_cpu, ok),
                        "agents_cpu_pct": round(100 * sum(agents_cpu) / elapsed, 1),
                    }
                    closed["snmp_exporter"] = peer_closed
                    if peer_closed["polls_per_s"]:
                        figures["ratio_vs_snmp_exporter"] = round(
                            closed["polls_per_s"] / peer_closed["polls_per_s"], 2
                        )
            figures["snmp_exporter"] = peer
    finally:
        if exporter is not None:
            exporter.stop()
        for agent in agents:
            agent.stop()
    figures.update({"agents": args.agents, "concurrency": args.concurrency})
    figures["cores"] = os.cpu_count()
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(uvloop.run(main()))
