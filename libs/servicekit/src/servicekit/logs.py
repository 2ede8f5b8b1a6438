"""Logs for SREs: one JSON object per line, with the service, the trace and span the line was
written in (so a log line leads to its trace, and back), and the ISP it concerns when there is
one (`tenant_id`: a request's ISP in tenant-api, an event's ISP in a subscriber)."""

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from opentelemetry import trace

TENANT: ContextVar[str | None] = ContextVar("dotmac_tenant_id", default=None)
"""The ISP the work at hand concerns, for the log lines it writes."""


@contextmanager
def about_tenant(tenant_id: str | None) -> Iterator[None]:
    """Log lines written in the block name `tenant_id`."""
    token = TENANT.set(tenant_id or None)
    try:
        yield
    finally:
        TENANT.reset(token)


class JsonLines(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            entry["trace_id"] = format(span.trace_id, "032x")
            entry["span_id"] = format(span.span_id, "016x")
        tenant = TENANT.get()
        if tenant:
            entry["tenant_id"] = tenant
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(service: str, level: int = logging.INFO) -> None:
    """Every log line of this process, uvicorn's and the libraries' included, as JSON on
    stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
