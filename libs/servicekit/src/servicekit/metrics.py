"""Prometheus metrics of a served process, at `/metrics` on its port.

Labels stay bounded: a route is its template (`/api/v1/customers/{customer_id}`), never the raw
path, and no metric is labelled by tenant. Which service and process a series comes from is
the scrape target's business (its job and instance labels), not a label here."""

import time

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
    "dotmac_outbox_published_events_total", "Events the outbox relay published to JetStream"
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "dotmac_outbox_publish_failures_total", "Publishes of outbox events that failed (retried)"
)
OUTBOX_PUBLISH_SECONDS = Histogram(
    "dotmac_outbox_publish_duration_seconds",
    "From an event's commit to its publish being acknowledged by JetStream",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 120),
)


async def metrics_endpoint(request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


class HttpMetrics:
    """ASGI middleware: each HTTP request observed in `dotmac_http_request_duration_seconds`,
    labelled by the template of the route it matched (`unmatched` if none)."""

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
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            HTTP_REQUESTS.labels(scope["method"], template, status).observe(
                time.perf_counter() - started
            )
