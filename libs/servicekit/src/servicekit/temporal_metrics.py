"""The Temporal SDK's own metrics (workers' task slots and polls, workflow and activity task
latencies, workflows completed and failed...) at the process's `/metrics`.

The SDK keeps its metrics in a buffer of the process-wide Temporal runtime every client of this
process connects with (`connect_temporal`); each scrape moves what it buffered into
prometheus-client, names prefixed `temporal_` as the SDK gives them. Labels are the SDK's
bounded attributes (namespace, task queue, workflow and activity type, worker type, status);
any other is dropped."""

from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from temporalio.client import Client, Interceptor
from temporalio.runtime import (
    BUFFERED_METRIC_KIND_COUNTER,
    BUFFERED_METRIC_KIND_GAUGE,
    MetricBuffer,
    MetricBufferDurationFormat,
    Runtime,
    TelemetryConfig,
)

LABELS = ("namespace", "task_queue", "workflow_type", "activity_type", "worker_type", "status")
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

_buffer: MetricBuffer | None = None
_runtime: Runtime | None = None
_metrics: dict[str, Any] = {}


def temporal_runtime() -> Runtime:
    """The process's Temporal runtime, its metrics kept in a buffer for `/metrics`."""
    global _buffer, _runtime
    if _runtime is None:
        _buffer = MetricBuffer(100_000, duration_format=MetricBufferDurationFormat.SECONDS)
        _runtime = Runtime(telemetry=TelemetryConfig(metrics=_buffer))
    return _runtime


async def connect_temporal(
    address: str, *, namespace: str, interceptors: list[Interceptor] | None = None
) -> Client:
    """A Temporal client on the process's runtime (so its workers' metrics are exported)."""
    return await Client.connect(
        address, namespace=namespace, interceptors=interceptors or [], runtime=temporal_runtime()
    )


def drain() -> None:
    """Move what the SDK buffered since the last scrape into the process's metrics."""
    if _buffer is None:
        return
    for update in _buffer.retrieve_updates():
        metric = _metric(update.metric.name, update.metric.kind, update.metric.description)
        labels = [str(update.attributes.get(name, "")) for name in LABELS]
        if update.metric.kind == BUFFERED_METRIC_KIND_COUNTER:
            metric.labels(*labels).inc(update.value)
        elif update.metric.kind == BUFFERED_METRIC_KIND_GAUGE:
            metric.labels(*labels).set(update.value)
        else:
            metric.labels(*labels).observe(update.value)


def _metric(name: str, kind: int, description: str | None) -> Any:
    found = _metrics.get(name)
    if found is None:
        exported = name if name.startswith("temporal_") else f"temporal_{name}"
        text = description or exported
        if kind == BUFFERED_METRIC_KIND_COUNTER:
            found = Counter(exported, text, LABELS)
        elif kind == BUFFERED_METRIC_KIND_GAUGE:
            found = Gauge(exported, text, LABELS)
        else:
            found = Histogram(exported, text, LABELS, buckets=BUCKETS)
        _metrics[name] = found
    return found
