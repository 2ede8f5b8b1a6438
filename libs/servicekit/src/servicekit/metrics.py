"""Prometheus metrics of a served process, at `/metrics` on its port.

Labels stay bounded: a route is its template (`/api/v1/customers/{customer_id}`), never the raw
path, and no metric is labelled by tenant. Which service and process a series comes from is
the scrape target's business (its job and instance labels), not a label here."""

import time
import weakref
from collections.abc import Iterator
from typing import Any

from opentelemetry import trace
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.config import PlatformSettings

HTTP_REQUESTS = Histogram(
    "dotmac_http_request_duration_seconds",
    "HTTP requests served, by method, route template and status, and how long each took",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_PENDING = Gauge(
    "dotmac_outbox_pending_events", "Events committed to the outbox and not yet published"
)
OUTBOX_OLDEST_AGE = Gauge(
    "dotmac_outbox_oldest_pending_age_seconds",
    "Age of the oldest event not yet published (0 when none waits)",
)
OUTBOX_PUBLISHED = Counter(
    "dotmac_outbox_published_events_total",
    "Events the outbox relay published to JetStream, by subject (so onboardings completed,\n"
    "failed and rolled back, demos opened and removed, offboardings completed... are counted\n"
    "by their events)",
    ["subject"],
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "dotmac_outbox_publish_failures_total", "Publishes of outbox events that failed (retried)"
)
OUTBOX_PUBLISH_SECONDS = Histogram(
    "dotmac_outbox_publish_duration_seconds",
    "From an event's commit to its publish being acknowledged by JetStream",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 120),
)


CONSUMER_PENDING = Gauge(
    "dotmac_consumer_pending_messages",
    "Messages of a durable consumer's stream not yet delivered to it (its lag)",
    ["consumer"],
)
CONSUMER_ACK_PENDING = Gauge(
    "dotmac_consumer_ack_pending_messages",
    "Messages delivered to a durable consumer and not yet acknowledged",
    ["consumer"],
)
CONSUMER_REDELIVERED = Gauge(
    "dotmac_consumer_redelivered_messages",
    "Messages a durable consumer has had delivered more than once, and not yet acknowledged",
    ["consumer"],
)


class DatabasePools(Collector):
    """`dotmac_db_pool_connections{state}` (in use, idle) and `dotmac_db_pool_size` of every
    database pool of this process, read at each scrape."""

    def __init__(self) -> None:
        self._pools: weakref.WeakSet[Any] = weakref.WeakSet()

    def watch(self, engine: Any) -> None:
        self._pools.add(engine)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        connections = GaugeMetricFamily(
            "dotmac_db_pool_connections", "Database connections of the pool", labels=["state"]
        )
        size = GaugeMetricFamily("dotmac_db_pool_size", "Connections the pool keeps")
        used = idle = kept = 0
        for engine in list(self._pools):
            pool = engine.pool
            used += pool.checkedout()
            idle += pool.checkedin()
            kept += pool.size()
        connections.add_metric(["in_use"], used)
        connections.add_metric(["idle"], idle)
        size.add_metric([], kept)
        yield connections
        yield size


POOLS = DatabasePools()
REGISTRY.register(POOLS)


_enabled = True


def configure_metrics(settings: PlatformSettings) -> None:
    """Whether this process measures itself (`DOTMAC_METRICS`, on unless turned off)."""
    global _enabled
    _enabled = settings.metrics


def metrics_enabled() -> bool:
    return _enabled


async def metrics_endpoint(request: Request) -> Response:
    from servicekit.temporal_metrics import sdk_metrics

    return Response(generate_latest() + await sdk_metrics(), media_type=CONTENT_TYPE_LATEST)


class HttpMetrics:
    """ASGI middleware: each HTTP request observed in `dotmac_http_request_duration_seconds`,
    labelled by the template of the route it matched (`unmatched` if none). When the request
    is traced, its answer says in which trace (`X-Trace-Id`), so a caller can look it up."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/metrics":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), "500"

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = str(message["status"])
                span = trace.get_current_span().get_span_context()
                if span.is_valid:
                    trace_id = format(span.trace_id, "032x").encode()
                    message["headers"] = [*message.get("headers", []), (b"x-trace-id", trace_id)]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            HTTP_REQUESTS.labels(scope["method"], template, status).observe(
                time.perf_counter() - started
            )
