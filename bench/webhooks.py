"""Webhook deliveries per second to 50 receivers, one of them dead and one slow, and how long
an event takes to reach the healthy ones.

Needs the stack that `make up DETACH=1` starts (the gateway 127.0.0.1:8080, tenant-api
127.0.0.1:8106, webhooks 127.0.0.1:8107, Postgres 127.0.0.1:5433, NATS 127.0.0.1:4222;
`make status` shows it). Run:

    .venv/bin/python bench/webhooks.py                        # 40 events/s x 50 endpoints, 30 s
    .venv/bin/python bench/webhooks.py --rate 60 --duration 20

Set-up (not measured): one ISP, `bench-hooks`, created and activated as provisioning does it
and licensed as bench/tenant_api.py does (its helpers are reused), its owner signed in through
the gateway. Its owner subscribes 50 endpoints through the gateway
(`POST /api/v1/webhooks/isp/{id}/endpoints`) to `usage.threshold_crossed`: 48 healthy receivers
(aiohttp servers on loopback, in this process), one dead (a loopback port nothing listens on:
connection refused, then Svix's retry schedule) and one slow (answers after `--slow-s`, 2 s).
Endpoints left by an earlier run are deleted first, and these at the end.

The load: `--rate` UsageThresholdCrossed events a second for `--duration` seconds, published to
JetStream as billing's relay publishes them (so the webhooks service's fan-out, its dispatcher
and Postgres do all the work; nothing else consumes this event). Each event makes one message
and 50 deliveries. An event's time to a receiver is from its publication to the receiver
reading the request. Then the bench waits until every healthy receiver has every message (or
`--drain-s` passes without progress). Every 100th delivery's signature is verified with
`standardwebhooks`.

Last line, one JSON object: {"deliveries_per_s": ..., "p95_s": ..., "lost": 0,
"duplicates": ..., "p50_s": ..., "events": ..., "healthy_deliveries": ..., "slow_received":
..., "bad_signatures": 0, ...}. `deliveries_per_s` counts healthy deliveries from the first
publication to the last healthy delivery; `lost` is healthy deliveries never received;
`duplicates` is receipts of a webhook-id an endpoint had already received. Goal on 2 cores: over
1,000 deliveries/s, healthy p95 under 1 s, none lost. Exit status 1 if any is lost.
"""

import argparse
import asyncio
import importlib.util
import json
import os
import socket
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import uvloop
from aiohttp import web

HERE = Path(__file__).resolve().parent


def _tenant_api_bench() -> Any:
    """bench/tenant_api.py's set-up helpers (its file name shadows the service's package, so it
    is loaded by path)."""
    spec = importlib.util.spec_from_file_location("bench_tenant_api", HERE / "tenant_api.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_tenant_api"] = module
    spec.loader.exec_module(module)
    return module


setup = _tenant_api_bench()

from dotmac_contracts import encode_event  # noqa: E402
from dotmac_contracts.events import UsageThresholdCrossed  # noqa: E402
from dotmac_contracts.public import message_id  # noqa: E402
from servicekit.bus import connect  # noqa: E402
from servicekit.config import PlatformSettings  # noqa: E402

TYPE = "usage.threshold_crossed"
SLUG = "bench-hooks"
ENDPOINTS = 50


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Receiver:
    index: int
    kind: str  # healthy, slow, dead
    slow_s: float = 0.0
    url: str = ""
    secret: str = ""
    endpoint_id: str = ""
    seen: Counter[str] = field(default_factory=Counter)
    arrivals: list[tuple[str, float]] = field(default_factory=list)
    samples: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        at = time.monotonic()
        webhook_id = request.headers.get("webhook-id", "")
        self.seen[webhook_id] += 1
        self.arrivals.append((webhook_id, at))
        if len(self.arrivals) % 100 == 1:
            self.samples.append((body, {k.lower(): v for k, v in request.headers.items()}))
        if self.slow_s:
            await asyncio.sleep(self.slow_s)
        return web.Response(status=204)


async def start_receivers(slow_s: float) -> tuple[list[Receiver], list[web.AppRunner]]:
    receivers = [Receiver(i, "healthy") for i in range(ENDPOINTS - 2)]
    receivers.append(Receiver(ENDPOINTS - 2, "slow", slow_s=slow_s))
    runners = []
    for receiver in receivers:
        app = web.Application()
        app.router.add_post("/hook", receiver.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        receiver.url = f"http://127.0.0.1:{port}/hook"
        runners.append(runner)
    with socket.socket() as s:  # bound, then closed: nothing listens there
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    receivers.append(Receiver(ENDPOINTS - 1, "dead", url=f"http://127.0.0.1:{dead_port}/hook"))
    return receivers, runners


async def prepare_isp(args: argparse.Namespace, platform: PlatformSettings) -> Any:
    tenant = setup.BenchTenant(0, SLUG, setup.tenant_id_of(SLUG))
    token = platform.internal_token.get_secret_value()
    db = await asyncpg.connect(setup.postgres_dsn(platform.database_url))
    try:
        async with httpx.AsyncClient(timeout=60.0, trust_env=False) as http:
            await setup.create_tenants(http, args.tenant_api, token, [tenant])
            await setup.insert_owners(db, [tenant])
            await setup.wait_licensed(db, [tenant], platform.nats_url)
            await setup.wait_entitled(http, args.tenant_api, [tenant])
    finally:
        await db.close()
    login = argparse.Namespace(login=True)
    await setup.sign_in(login, args.gateway, [tenant], 3600)
    return tenant


async def subscribe(
    http: httpx.AsyncClient, base: str, headers: dict[str, str], receivers: list[Receiver]
) -> None:
    existing = await http.get(f"{base}/endpoints", headers=headers)
    if existing.status_code != 200:
        raise SystemExit(f"listing endpoints answered {existing.status_code}: {existing.text}")
    for endpoint in existing.json():
        await http.delete(f"{base}/endpoints/{endpoint['id']}", headers=headers)
    for receiver in receivers:
        made = await http.post(
            f"{base}/endpoints",
            json={
                "url": receiver.url,
                "event_types": [TYPE],
                "description": f"bench {receiver.kind} #{receiver.index}",
            },
            headers=headers,
        )
        if made.status_code != 201:
            raise SystemExit(f"subscribing answered {made.status_code}: {made.text}")
        receiver.endpoint_id, receiver.secret = made.json()["id"], made.json()["secret"]


async def publish_load(
    nats_url: str, isp_id: uuid.UUID, rate: float, duration: float
) -> dict[str, float]:
    """Publish at `rate` events a second; answers message id -> when it was published."""
    nc = await connect(nats_url, name="bench-webhooks")
    js = nc.jetstream()
    published: dict[str, float] = {}
    total = int(rate * duration)
    started = time.monotonic()
    try:
        for n in range(total):
            due = started + n / rate
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            now = datetime.now(UTC)
            event = UsageThresholdCrossed(
                isp_id=isp_id, threshold=80, customers=800 + n, customer_cap=1000, crossed_at=now
            )
            event_id = str(uuid.uuid4())
            envelope = encode_event(event, event_id=event_id, source="billing", time=now)
            published[message_id(event_id, TYPE)] = time.monotonic()
            await js.publish(event.subject, envelope.data, headers=envelope.headers())
    finally:
        await nc.close()
    return published


async def drain(receivers: list[Receiver], expected: int, drain_s: float) -> None:
    healthy = [r for r in receivers if r.kind == "healthy"]
    last, stalled_since = -1, time.monotonic()
    while True:
        got = sum(len(r.seen) for r in healthy)
        if got >= expected * len(healthy):
            return
        if got != last:
            last, stalled_since = got, time.monotonic()
        elif time.monotonic() - stalled_since > drain_s:
            return
        await asyncio.sleep(0.2)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=40.0, help="events a second (x50 deliveries)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    parser.add_argument("--slow-s", type=float, default=2.0, help="the slow receiver's answer time")
    parser.add_argument("--drain-s", type=float, default=30.0, help="give up after no progress")
    parser.add_argument("--gateway", default="http://127.0.0.1:8080")
    parser.add_argument("--tenant-api", default="http://127.0.0.1:8106")
    args = parser.parse_args()
    platform = PlatformSettings()

    say("preparing the bench ISP and its owner's sign-in")
    tenant = await prepare_isp(args, platform)
    receivers, runners = await start_receivers(args.slow_s)
    base = f"{args.gateway}/api/v1/webhooks/isp/{tenant.id}"
    headers = {"Authorization": tenant.headers["Authorization"]}
    async with httpx.AsyncClient(timeout=30.0, trust_env=False) as http:
        try:
            await subscribe(http, base, headers, receivers)
            say(
                f"{len(receivers)} endpoints subscribed; publishing {args.rate:g} events/s "
                f"for {args.duration:g} s"
            )
            started = time.monotonic()
            published = await publish_load(platform.nats_url, tenant.id, args.rate, args.duration)
            say(
                f"published {len(published)} events in {time.monotonic() - started:.1f} s; draining"
            )
            await drain(receivers, len(published), args.drain_s)
        finally:
            for receiver in receivers:
                if receiver.endpoint_id:
                    await http.delete(f"{base}/endpoints/{receiver.endpoint_id}", headers=headers)
            for runner in runners:
                await runner.cleanup()

    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    healthy = [r for r in receivers if r.kind == "healthy"]
    firsts: list[float] = []
    for r in healthy:
        seen_once: set[str] = set()
        for webhook_id, at in r.arrivals:
            if webhook_id in published and webhook_id not in seen_once:
                seen_once.add(webhook_id)
                firsts.append(at - published[webhook_id])
    delivered = sum(len(set(r.seen) & set(published)) for r in healthy)
    expected = len(published) * len(healthy)
    last_arrival = max((at for r in healthy for _, at in r.arrivals), default=started)
    bad_signatures = 0
    for r in receivers:
        for body, hdrs in r.samples:
            try:
                Webhook(r.secret).verify(body, hdrs)
            except WebhookVerificationError:
                bad_signatures += 1
    figures = {
        "deliveries_per_s": round(delivered / max(last_arrival - started, 1e-9), 1),
        "p95_s": round(percentile(firsts, 95), 3) if firsts else None,
        "lost": expected - delivered,
        "duplicates": sum(c - 1 for r in receivers for c in r.seen.values() if c > 1),
        "p50_s": round(percentile(firsts, 50), 3) if firsts else None,
        "p99_s": round(percentile(firsts, 99), 3) if firsts else None,
        "max_s": round(max(firsts), 3) if firsts else None,
        "events": len(published),
        "rate": args.rate,
        "healthy_endpoints": len(healthy),
        "healthy_deliveries": delivered,
        "slow_received": sum(len(r.seen) for r in receivers if r.kind == "slow"),
        "bad_signatures": bad_signatures,
        "signatures_checked": sum(len(r.samples) for r in receivers),
        "cores": os.cpu_count(),
    }
    print(json.dumps(figures))
    return 1 if figures["lost"] else 0


if __name__ == "__main__":
    sys.exit(uvloop.run(main()))
