"""SNMP polling by one poller process: a simulated fleet's interface counters read on a fixed
cycle, with the share of readings that missed their deadline.

Needs nothing running: the bench starts its own simulated agents (snmpsim, from devstack.snmp,
spread over `--agents` processes on free UDP ports; installed into .dotmac/tools on first use)
and runs the network service's poller (network.polling.poller) in this process, as its poll role
does, minus the publishing (readings are counted, not sent). Run:

    .venv/bin/python bench/snmp_poll.py                        # 500 devices x 20 interfaces, 60 s
    .venv/bin/python bench/snmp_poll.py --devices 100 --cycle-s 10 --cycles 2

Every device is polled once per `--cycle-s` at its own offset in the cycle, at most
`--concurrency` at a time, each reading with a deadline of 80% of the cycle. A reading is
sysUpTime and GETBULK walks of ifHCInOctets, ifHCOutOctets, ifHighSpeed, ifOperStatus,
ifAdminStatus, ifName, ifInErrors and ifInDiscards. The bench runs `--cycles` whole cycles
after a warm-up of one.

Last line, one JSON object: {"interfaces": ..., "cycle_s": ..., "missed_pct": ...,
"polls_per_s": ..., "interfaces_per_s": ..., "ratio_vs_snmp_exporter": null, ...}.
`polls_per_s` counts device readings, `interfaces_per_s` the interface counters read. The
comparison with Debian's prometheus-snmp-exporter is not made yet (null).
Goal on 2 cores: 10,000 interfaces on a 60 s cycle with under 1% missed, one process.
"""

import argparse
import asyncio
import json
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

import uvloop

from devstack.ports import free_udp_port
from devstack.snmp import Device, Interface, SnmpSim, write_fleet
from network.polling.poller import DeviceSample, Poller, Target


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


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--interfaces", type=int, default=20, help="per device")
    parser.add_argument("--cycle-s", type=float, default=60.0)
    parser.add_argument("--cycles", type=int, default=2, help="measured, after one warm-up")
    parser.add_argument("--agents", type=int, default=4, help="snmpsim processes")
    parser.add_argument("--concurrency", type=int, default=200)
    args = parser.parse_args()

    devices = fleet(args.devices, args.interfaces)
    work = Path(tempfile.mkdtemp(prefix="bench-snmp-"))
    agents = []
    ports: list[int] = []
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
    try:
        for agent in agents:
            agent.wait_ready(timeout=120)
        readings = 0
        interfaces_read = 0

        async def count(sample: DeviceSample) -> None:
            nonlocal readings, interfaces_read
            readings += 1
            interfaces_read += len(sample.interfaces)

        poller = Poller(count, concurrency=args.concurrency, timeout_s=2.0)
        tenant = uuid.uuid4()
        for n, device in enumerate(devices):
            poller.watch(
                Target(
                    uuid.uuid4(),
                    tenant,
                    "127.0.0.1",
                    ports[n % args.agents],
                    device.community,
                    interval_s=args.cycle_s,
                )
            )
        running = asyncio.create_task(poller.run())
        say(f"warm-up cycle ({args.cycle_s:g} s)")
        await asyncio.sleep(args.cycle_s)
        before = dict(poller.counts)
        readings = interfaces_read = 0
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.monotonic()
        say(f"measuring {args.cycles} cycles")
        await asyncio.sleep(args.cycle_s * args.cycles)
        elapsed = time.monotonic() - started
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        counts = {k: poller.counts[k] - before[k] for k in poller.counts}
    finally:
        for agent in agents:
            agent.stop()
    attempted = sum(counts.values())
    cpu_s = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    figures = {
        "interfaces": args.devices * args.interfaces,
        "cycle_s": args.cycle_s,
        "missed_pct": round(100 * counts["missed"] / attempted, 3) if attempted else None,
        "polls_per_s": round(readings / elapsed, 1),
        "interfaces_per_s": round(interfaces_read / elapsed, 1),
        "ratio_vs_snmp_exporter": None,
        "devices": args.devices,
        "outcomes": counts,
        "poller_cpu_pct": round(100 * cpu_s / elapsed, 1),
        "agents": args.agents,
        "cores": os.cpu_count(),
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(uvloop.run(main()))
