"""When the platform has handled every event it was sent: shared by the benchmarks."""

import asyncio
import time

import httpx

NATS_MONITOR = "http://127.0.0.1:8222"
"""NATS's monitoring address in the dev stack (DOTMAC_NATS_MONITOR_PORT)."""


async def pending_events(http: httpx.AsyncClient, monitor: str = NATS_MONITOR) -> int | None:
    """Messages JetStream's durable consumers have yet to handle for the first time: not yet
    delivered, or delivered once and not yet acknowledged. None if NATS's monitoring cannot be
    read.

    Redeliveries are not counted: an event a handler failed on waits for something else. Nor
    is a consumer whose every slot for unacknowledged messages holds a redelivery: it gets
    nothing new until they run out of attempts. bench/tenant_api.py's ISPs make one of those:
    they are created in tenant-api without registering, so billing retries each one's licence
    for about 25 minutes, 1,000 at a time (JetStream's default max_ack_pending)."""
    try:
        response = await http.get(f"{monitor}/jsz", params={"consumers": "true", "config": "true"})
        accounts = response.json().get("account_details", [])
    except (httpx.HTTPError, ValueError):
        return None
    pending = 0
    for account in accounts:
        for stream in account.get("stream_detail", []):
            for consumer in stream.get("consumer_detail", []):
                retried = consumer.get("num_redelivered", 0)
                slots = consumer.get("config", {}).get("max_ack_pending", 0)
                if slots > 0 and retried >= slots:
                    continue
                unacknowledged = consumer.get("num_ack_pending", 0)
                pending += consumer.get("num_pending", 0) + max(0, unacknowledged - retried)
    return pending


async def wait_quiet(
    http: httpx.AsyncClient, timeout_s: float, monitor: str = NATS_MONITOR
) -> float | None:
    """Wait until nothing is pending three looks in a row, 0.1 s apart (a handler's own events
    reach JetStream just after it acknowledges the one it handled); returns the seconds
    waited until the first of them, or None if NATS's monitoring cannot be read or the
    platform is still busy after `timeout_s`."""
    started, quiet, first_quiet = time.perf_counter(), 0, 0.0
    while quiet < 3:
        pending = await pending_events(http, monitor)
        if pending is None or time.perf_counter() - started > timeout_s:
            return None
        quiet = 0 if pending else quiet + 1
        if quiet == 1:
            first_quiet = time.perf_counter()
        await asyncio.sleep(0.1)
    return round(first_quiet - started, 3)
