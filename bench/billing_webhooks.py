"""Stripe webhooks into billing: signed events handled per second, end to end (verify the
signature, drop duplicates by event id, apply to the ISP's account, stage its status event).

Needs the stack that `make up` starts: the gateway (127.0.0.1:8080), localstripe
(127.0.0.1:8420) and the webhook secret the stack made (`.dotmac/secrets/stripe-webhook-secret`).
Run:

    .venv/bin/python bench/billing_webhooks.py                   # 2,000 events, 20% repeats
    .venv/bin/python bench/billing_webhooks.py --events 5000 --concurrency 64

First it signs up `--isps` ISPs on the basic tier through the gateway, with Stripe's test card,
and waits until billing has opened each one in Stripe (a customer and a subscription). Then it
posts `--events` signed events about their subscriptions (`invoice.paid`,
`customer.subscription.updated`), a share of them (`--duplicates`) sent again under the same id
and all shuffled, `--concurrency` at a time, to billing's webhook through the gateway. Each
applied event reads the subscription's state from Stripe (localstripe here), as billing does to
stay right when events come out of order.

Last line, one JSON object: {"events_per_s": ..., "events": ..., "duplicates_applied": 0,
"p50_ms": ..., "p95_ms": ..., "outcomes": {"applied": ..., "duplicate": ...}, "errors": 0}.
`duplicates_applied` counts deliveries applied beyond the first of their event (two copies may
be in flight at once; either may be the one applied): it must be 0.
"""

import argparse
import asyncio
import hashlib
import hmac
import json
import random
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import aiohttp
import httpx
import uvloop

ROOT = Path(__file__).resolve().parents[1]
STRIPE_KEY = "sk_test_dotmac_dev"


def registration(tag: str) -> dict:
    return {
        "company": {
            "name": f"Bench Billing {tag}",
            "registration_number": tag,
            "tax_id": "US-99",
            "country": "US",
        },
        "contacts": {"primary": {"name": "Ann", "email": f"ann+{tag}@bench.example"}},
        "service_area": "Benchmark county",
        "expected_customers": 100,
        "region": "us-east-1",
        "tier": "basic",
        "billing_period": "monthly",
        "domain": f"bench-{tag}.example",
        "payment_method": "pm_card_visa",
    }


async def sign_up(http: httpx.AsyncClient, gateway: str, stripe: str, n: int) -> list[dict]:
    """`n` ISPs signed up; their Stripe customer and subscription ids once billing opened them."""
    tags = [uuid.uuid4().hex[:12] for _ in range(n)]
    for tag in tags:
        response = await http.post(
            f"{gateway}/api/v1/isp/register",
            json=registration(tag),
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        response.raise_for_status()
    opened: dict[str, dict] = {}
    deadline = time.monotonic() + 120
    auth = {"Authorization": f"Bearer {STRIPE_KEY}"}
    while len(opened) < n and time.monotonic() < deadline:
        for tag in tags:
            if tag in opened:
                continue
            email = f"ann+{tag}@bench.example"
            found = await http.get(f"{stripe}/v1/customers", params={"email": email}, headers=auth)
            for customer in found.json().get("data", []):
                subscriptions = await http.get(
                    f"{stripe}/v1/subscriptions", params={"customer": customer["id"]}, headers=auth
                )
                for subscription in subscriptions.json().get("data", []):
                    opened[tag] = {"customer": customer["id"], "subscription": subscription["id"]}
        await asyncio.sleep(0.5)
    if len(opened) < n:
        raise SystemExit(f"only {len(opened)} of {n} ISPs were opened in Stripe within 120 s")
    return list(opened.values())


def event(account: dict) -> dict:
    kind = random.choice(("invoice.paid", "customer.subscription.updated"))
    thing = (
        {"id": f"in_{uuid.uuid4().hex[:14]}", "object": "invoice"}
        if kind == "invoice.paid"
        else {"id": account["subscription"], "object": "subscription", "status": "active"}
    )
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": {**thing, "customer": account["customer"]}},
    }


def signed(payload: dict, secret: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    timestamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    headers = {
        "Content-Type": "application/json",
        "Stripe-Signature": f"t={timestamp},v1={digest.hexdigest()}",
    }
    return body, headers


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="distinct events")
    parser.add_argument("--duplicates", type=float, default=0.2, help="share sent twice")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--isps", type=int, default=10)
    parser.add_argument("--gateway", default="http://127.0.0.1:8080")
    parser.add_argument("--stripe", default="http://127.0.0.1:8420")
    parser.add_argument(
        "--secret-file", type=Path, default=ROOT / ".dotmac/secrets/stripe-webhook-secret"
    )
    args = parser.parse_args()
    secret = args.secret_file.read_text().strip()
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=64)
    async with httpx.AsyncClient(timeout=30, limits=limits, trust_env=False) as http:
        accounts = await sign_up(http, args.gateway, args.stripe, args.isps)
        events = [event(random.choice(accounts)) for _ in range(args.events)]
        repeats = random.sample(events, int(len(events) * args.duplicates))
        shuffled = events + repeats
        random.shuffle(shuffled)
        queue: asyncio.Queue = asyncio.Queue()
        for payload in shuffled:
            queue.put_nowait(payload)
        outcomes: Counter = Counter()
        applied: Counter = Counter()  # per event id: how many of its deliveries were applied
        latencies: list[float] = []
        errors = 0
        url = f"{args.gateway}/api/v1/billing/stripe/webhook"
        # The deliveries go through aiohttp: httpx spends more CPU per request than billing
        # does, and on 2 cores the load generator's CPU is taken from the stack it measures.
        connector = aiohttp.TCPConnector(limit=args.concurrency)
        deliveries = aiohttp.ClientSession(connector=connector, trust_env=False)

        async def worker() -> None:
            nonlocal errors
            while not queue.empty():
                payload = queue.get_nowait()
                body, headers = signed(payload, secret)
                started = time.perf_counter()
                async with deliveries.post(url, data=body, headers=headers) as response:
                    answer = await response.read()
                latencies.append(time.perf_counter() - started)
                if response.status != 200:
                    errors += 1
                    print(f"{response.status}: {answer[:200]!r}", file=sys.stderr)
                    continue
                outcome = json.loads(answer)["outcome"]
                outcomes[outcome] += 1
                applied[payload["id"]] += outcome == "applied"

        started = time.perf_counter()
        async with deliveries:
            await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        elapsed = time.perf_counter() - started
    duplicates_applied = sum(n - 1 for n in applied.values() if n > 1)
    print(
        json.dumps(
            {
                "events_per_s": round(len(shuffled) / elapsed, 1),
                "events": len(shuffled),
                "duplicates_applied": duplicates_applied,
                "p50_ms": round(percentile(latencies, 50) * 1000, 1),
                "p95_ms": round(percentile(latencies, 95) * 1000, 1),
                "outcomes": dict(outcomes),
                "errors": errors,
            }
        )
    )
    return 1 if errors or duplicates_applied else 0


if __name__ == "__main__":
    raise SystemExit(uvloop.run(main()))
