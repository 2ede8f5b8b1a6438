"""Session-wide servers for integration and end-to-end tests.

Each is a real program (Postgres, NATS with JetStream, the Temporal dev server, Caddy,
localstripe) started on free ports with its data in the session's temp dir, so the suite never
touches the dev stack's ports or data. Unit tests request none of these fixtures and start
nothing.
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from devstack.components import LocalStripe, NatsServer, Postgres, TemporalDevServer
from devstack.ports import free_port

SERVICE_MODULES = (
    "registration",
    "licensing",
    "provisioning",
    "billing",
    "network",
    "tenant_api",
    "webhooks",
)
SEARCH_ATTRIBUTES = {
    "IspId": "Keyword",
    "Tier": "Keyword",
    "Region": "Keyword",
    "Provider": "Keyword",
}


def pytest_configure(config: pytest.Config) -> None:
    """A sealing key of the session's own, for every service built here or started by it
    (the platform has no default key)."""
    from cryptography.fernet import Fernet

    os.environ.setdefault("DOTMAC_DEVICE_SECRETS_KEYS", Fernet.generate_key().decode())


@pytest.fixture(scope="session")
def span_exporter() -> InMemorySpanExporter:
    """Every span finished in this test process. Installed before any service is built, so the
    services' `configure_tracing` keeps it."""
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postgres]:
    server = Postgres(free_port(), tmp_path_factory.mktemp("postgres"))
    server.start()
    server.wait_ready()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def migrated_database(postgres: Postgres) -> str:
    """The database URL, with every service's schema migrated to head (as `make up` does)."""
    env = {**os.environ, "DOTMAC_DATABASE_URL": postgres.url}
    for module in SERVICE_MODULES:
        result = subprocess.run(
            [sys.executable, "-m", module, "migrate"], env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, f"{module} migrate failed:\n{result.stderr[-3000:]}"
    return postgres.url


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    server = NatsServer(free_port(), free_port(), tmp_path_factory.mktemp("nats"))
    server.start()
    server.wait_ready()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def temporal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TemporalDevServer]:
    server = TemporalDevServer(
        port=free_port(),
        ui_port=free_port(),
        http_port=free_port(),
        metrics_port=free_port(),
        db_file=None,
        search_attributes=SEARCH_ATTRIBUTES,
        headless=True,
        log_path=Path(tmp_path_factory.mktemp("temporal")) / "temporal.log",
    )
    server.start()
    server.wait_ready()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def stripe_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStripe]:
    """localstripe, in memory: point stripe-python at ``stripe_server.url`` (or give a service
    ``stripe_server.client_environment()``); ``register_webhook`` has it deliver signed events.
    Shared by the session: its customers, webhooks... accumulate across tests."""
    server = LocalStripe(free_port(), tmp_path_factory.mktemp("localstripe") / "localstripe.log")
    server.start()
    server.wait_ready()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def schema_fuzz() -> object:
    """The schema fuzz run: `schema_fuzz(document, base_url, headers_for, examples)` sends
    schemathesis's generated requests, valid ones and deliberately invalid ones (wrong types,
    missing fields, out-of-range values, odd strings), for every operation of an OpenAPI
    document, and answers what it sent and the 5xx it got (each with a curl to repeat it).
    `headers_for(path)` gives each operation its credentials."""
    from collections import Counter
    from collections.abc import Callable
    from dataclasses import dataclass, field
    from typing import Any

    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.openapi import from_dict

    @dataclass
    class Run:
        sent: list[str] = field(default_factory=list)
        failures: list[str] = field(default_factory=list)
        statuses: Counter[int] = field(default_factory=Counter)

        def operation(
            self, operation: Any, mode: GenerationMode, base_url: str, headers: dict, n: int
        ) -> None:
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=n,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def call(case: Any) -> None:
                response = case.call(base_url=base_url, headers=headers, timeout=30)
                self.sent.append(operation.label)
                self.statuses[response.status_code] += 1
                if response.status_code >= 500:
                    self.failures.append(
                        f"{operation.label} ({mode.value}): {response.status_code} "
                        f"{response.text[:300]}\n  {case.as_curl_command(headers=headers)}"
                    )

            try:
                call()
            except Unsatisfiable:  # nothing in it to get wrong (no parameters, no body)
                assert mode == GenerationMode.NEGATIVE, operation.label

    def fuzz(
        document: dict[str, Any],
        base_url: str,
        headers_for: Callable[[str], dict[str, str]] = lambda path: {},
        examples: int = 15,
    ) -> Run:
        run = Run()
        for result in from_dict(document).get_all_operations():
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                run.operation(operation, mode, base_url, headers_for(operation.path), examples)
        return run

    return fuzz
