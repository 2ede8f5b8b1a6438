"""OpenTelemetry setup: one tracer provider per process, exporters chosen by settings."""

import logging

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
)

from servicekit.config import PlatformSettings

log = logging.getLogger(__name__)


def configure_tracing(service_name: str, settings: PlatformSettings) -> TracerProvider | None:
    """Install the process's tracer provider, unless one is already installed (tests install
    theirs, with an in-memory exporter, before starting services).

    With nowhere to send spans, none is installed: the API's no-op tracer then costs nothing,
    and trace context still passes through HTTP, the outbox and NATS untouched.
    """
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    if not (settings.otlp_endpoint or settings.trace_console):
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if settings.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = settings.otlp_endpoint.rstrip("/") + "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    if settings.trace_console:
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def tracing_enabled() -> bool:
    """Whether spans go anywhere. When not, instrumentation is left out altogether: trace
    context is then not carried either, so enable tracing for every service or for none."""
    return isinstance(trace.get_tracer_provider(), TracerProvider)
