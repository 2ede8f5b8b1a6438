"""The Temporal SDK's own metrics (workers' task slots and polls, workflow and activity task
latencies, workflows completed and failed...) at the process's `/metrics`.

The SDK's core (Rust) keeps and serves them itself, on a loopback port of the process's own
(its Prometheus exporter): recording a metric costs no Python. Every Temporal client of the
process connects with that runtime (`connect_temporal`), and a scrape of `/metrics` appends
what the core serves, so a process is still one scrape target. Names are the SDK's, prefixed
`temporal_`, durations in seconds; labels are the SDK's bounded ones (namespace, task queue,
workflow and activity type, worker type)."""

import asyncio
import logging
import socket

from temporalio.client import Client, Interceptor
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from servicekit.metrics import metrics_enabled

log = logging.getLogger(__name__)

_runtime: Runtime | None = None
_port: int | None = None


def _free_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def temporal_runtime() -> Runtime:
    """The process's Temporal runtime, its core serving the SDK's metrics on loopback."""
    global _runtime, _port
    if _runtime is None:
        _port = _free_loopback_port()
        _runtime = Runtime(
            telemetry=TelemetryConfig(
                metrics=PrometheusConfig(
                    bind_address=f"127.0.0.1:{_port}",
                    counters_total_suffix=True,
                    durations_as_seconds=True,
                )
            )
        )
    return _runtime


async def connect_temporal(
    address: str, *, namespace: str, interceptors: list[Interceptor] | None = None
) -> Client:
    """A Temporal client on the process's runtime (so its workers' metrics are exported)."""
    return await Client.connect(
        address,
        namespace=namespace,
        interceptors=interceptors or [],
        runtime=temporal_runtime() if metrics_enabled() else None,
    )


async def sdk_metrics(timeout_s: float = 2.0) -> bytes:
    """What the core serves now (empty if this process has no Temporal client, or it does
    not answer: the rest of `/metrics` is served regardless)."""
    if _port is None:
        return b""
    try:
        async with asyncio.timeout(timeout_s):
            reader, writer = await asyncio.open_connection("127.0.0.1", _port)
            writer.write(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            await writer.drain()
            answer = await reader.read()
            writer.close()
    except (OSError, TimeoutError):
        log.warning("the Temporal SDK's metrics did not answer", exc_info=True)
        return b""
    head, _, body = answer.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.") or b" 200 " not in head.split(b"\r\n", 1)[0]:
        return b""
    return body
