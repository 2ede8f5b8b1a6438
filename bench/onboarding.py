"""Onboarding latency: N ISPs register at once; time from each POST to its deployment `active`.

Needs the stack that `make up` starts (gateway on 127.0.0.1:8080 unless --gateway says
otherwise). Run:

    .venv/bin/python bench/onboarding.py                      # 20 registrations, local
    .venv/bin/python bench/onboarding.py -n 50
    .venv/bin/python bench/onboarding.py -n 20 --provider aws  # on AWS (moto in the dev stack)

`--provider aws` registers in eu-west-1, the region the dev stack places on the aws provider
(against its moto server); each onboarding must report that provider to count.

Each client follows its ISP's status stream (server-sent events), so the figures are exact
and the measurement adds no polling load. The load generator shares the cores with the platform
it measures, so it stays light: uvloop, and the provider read from the stream's last status
rather than asked for again, and aiohttp for its clients (the lighter of the two
HTTP clients the benchmarks use). Prints one line per onboarding that did not reach
`active`, then, as its last line, one JSON object:
{"n": 20, "provider": "local", "p50_s": ..., "p95_s": ..., "max_s": ..., "failed": 0,
 "cpu_ms_per_onboarding": ..., "settled_s": ..., "cpu_ms_per_onboarding_settled": ...,
 "cpu_ms_by_process": {"registration serve api stream": ...}}.

The CPU figures (Linux: read from /proc) are the busy time of the whole machine until the last
onboarding is active, load generator included, and of each platform process in that time
(services by their roles, Postgres, NATS, Temporal, Caddy, and the dev stack's stand-ins for
Stripe, AWS, SMTP and the demo devices), divided by n. The dev stack runs the services no
onboarding waits for (billing, webhooks, network) below the others, so part of their work
comes after the last onboarding: `settled_s` is when every event the burst set off has been handled
(JetStream's consumers have nothing pending; read from NATS's monitoring, `--nats-monitor`),
and `cpu_ms_per_onboarding_settled` the machine's CPU until then, all the burst's work.
Latency moves with the machine's load; CPU per onboarding is the steadier figure to compare
builds by, and the breakdown says where a change went.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid

import aiohttp
import httpx
import uvloop
from quiet import NATS_MONITOR, wait_quiet

PLATFORM = {"nats-server": "nats", "caddy": "caddy", "temporal": "temporal"}
"""Processes of the platform besides the services (`python -m <service> serve ...`) and
Postgres, by their program's name."""

STAND_INS = {
    "devstack.localstripe": "localstripe",
    "moto.server": "moto",
    "aiosmtpd": "mail",
    "snmpsim.commands.responder": "demo-fleet",
}
"""The dev stack's stand-ins for the outside world (`python -m <module>`): what they spend is
the platform's calls to Stripe, AWS and SMTP as seen from the other side."""


def machine_busy_ticks() -> int | None:
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()[1:]
    except OSError:  # not Linux
        return None
    user, nice, system, _idle, _iowait, irq, softirq = (int(f) for f in fields[:7])
    return user + nice + system + irq + softirq


def process_ticks() -> dict[tuple[str, str], int]:
    """(pid, what it is) -> user + system ticks, for the platform's processes."""
    found: dict[tuple[str, str], int] = {}
    for pid in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if not args:
            continue
        program = os.path.basename(args[0])
        module = args[args.index("-m") + 1] if "-m" in args[:-1] else ""
        if "serve" in args and module:
            what = " ".join(args[args.index("-m") + 1 :])
        elif module in STAND_INS:
            what = STAND_INS[module]
        elif program.startswith("postgres"):
            what = "postgres"
        elif program in PLATFORM:
            what = PLATFORM[program]
        else:
            continue
        found[(pid, what)] = int(stat[11]) + int(stat[12])
    return found


TERMINAL = {"active", "failed", "rolled_back"}
REGION_OF = {"local": "us-east-1", "aws": "eu-west-1"}
"""Where the dev stack places each provider (REGISTRATION_PLACEMENTS)."""


def registration(region: str) -> dict:
    tag = uuid.uuid4().hex[:12]
    return {
        "company": {
            "name": f"Bench Fiber {tag}",
            "registration_number": tag,
            "tax_id": "US-99",
            "country": "US",
        },
        # Each ISP its own contact, as in life (one address for all would make every lookup
        # of a Stripe customer by email return all the bench's earlier ISPs).
        "contacts": {"primary": {"name": "Ann", "email": f"ann@{tag}.bench.example"}},
        "service_area": "Benchmark county",
        "expected_customers": 100,
        "region": region,
        "tier": "basic",
        "billing_period": "monthly",
        "domain": f"bench-{tag}.example",
    }


async def post_registration(http: aiohttp.ClientSession, url: str, body: dict) -> tuple[int, dict]:
    """Retry on a dropped connection, as any HTTP client should: a server may close an idle
    keep-alive connection as a request goes out on it. The POST carries an Idempotency-Key,
    so its retry cannot register a second ISP."""
    key = str(uuid.uuid4())
    for attempt in range(5):
        try:
            async with http.post(url, json=body, headers={"Idempotency-Key": key}) as response:
                return response.status, await response.json(content_type=None)
        except aiohttp.ClientConnectionError:
            if attempt == 4:
                raise
            await asyncio.sleep(0.05)
    raise AssertionError("unreachable")


async def onboard(
    http: aiohttp.ClientSession, gateway: str, provider: str, timeout_s: float
) -> tuple[float, str]:
    started = time.perf_counter()
    code, answer = await post_registration(
        http, f"{gateway}/api/v1/isp/register", registration(REGION_OF[provider])
    )
    if code != 202:
        return time.perf_counter() - started, f"register answered {code}"
    events_url = gateway + answer["status_url"] + "/events"
    status = {"state": "registered"}
    # The status stream pushes every change; reconnect if the connection drops (a restarted
    # gateway, say) until the state settles.
    while status["state"] not in TERMINAL and time.perf_counter() - started < timeout_s:
        try:
            async with http.get(events_url) as stream:
                async for line in stream.content:
                    if line.startswith(b"data: "):
                        status = json.loads(line[6:])
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.02)
    elapsed = time.perf_counter() - started
    if status["state"] == "active" and status.get("provider") != provider:
        return elapsed, f"active, but on {status.get('provider')} instead of {provider}"
    return elapsed, status["state"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20, help="concurrent registrations")
    parser.add_argument("--provider", choices=sorted(REGION_OF), default="local")
    parser.add_argument("--gateway", default="http://127.0.0.1:8080")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for each")
    parser.add_argument("--nats-monitor", default=NATS_MONITOR, help="NATS's monitoring address")
    args = parser.parse_args()
    busy_before, processes_before = machine_busy_ticks(), process_ticks()
    own_before, started = os.times(), time.perf_counter()
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=args.n * 2),
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=30),
    ) as http:
        results = await asyncio.gather(
            *(onboard(http, args.gateway, args.provider, args.timeout) for _ in range(args.n))
        )
    busy_after, processes_after = machine_busy_ticks(), process_ticks()
    # What the onboardings set off and did not wait for: licences, Stripe accounts, fan-out.
    ended, own = time.perf_counter(), os.times()
    async with httpx.AsyncClient(timeout=30.0) as quiet_http:
        waited = await wait_quiet(quiet_http, args.timeout, args.nats_monitor)
        settled_s = round(ended - started + waited, 3) if waited is not None else None
    busy_settled = machine_busy_ticks()
    ms_per_tick = 1000 / os.sysconf("SC_CLK_TCK")
    by_process: dict[str, float] = {}
    for (pid, what), ticks in processes_after.items():  # a process that ended is not counted
        spent = ticks - processes_before.get((pid, what), 0)
        by_process[what] = by_process.get(what, 0.0) + spent * ms_per_tick / args.n
    own_s = own.user + own.system - own_before.user - own_before.system
    by_process["load generator"] = own_s * 1000 / args.n
    done = [seconds for seconds, state in results if state == "active"]
    for seconds, state in results:
        if state != "active":
            print(f"not active after {seconds:.2f} s: {state}", file=sys.stderr)
    summary = {
        "n": args.n,
        "provider": args.provider,
        "p50_s": round(statistics.median(done), 3) if done else None,
        "p95_s": round(percentile(done, 95), 3) if done else None,
        "max_s": round(max(done), 3) if done else None,
        "failed": args.n - len(done),
        "cpu_ms_per_onboarding": round((busy_after - busy_before) * ms_per_tick / args.n, 1)
        if busy_before is not None and busy_after is not None
        else None,
        "settled_s": settled_s,
        "cpu_ms_per_onboarding_settled": round(
            (busy_settled - busy_before) * ms_per_tick / args.n, 1
        )
        if busy_before is not None and busy_settled is not None and settled_s is not None
        else None,
        "cpu_ms_by_process": {
            what: round(ms, 1) for what, ms in sorted(by_process.items(), key=lambda kv: -kv[1])
        },
    }
    print(json.dumps(summary))
    return 0 if not summary["failed"] else 1


if __name__ == "__main__":
    raise SystemExit(uvloop.run(main()))
