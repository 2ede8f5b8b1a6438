"""A schema fuzz run: schemathesis generates requests for every operation of tenant-api's
OpenAPI document — valid ones and deliberately invalid ones (wrong types, missing fields,
out-of-range values, odd strings) — and sends them, signed in, to the service running on a real
port over real Postgres and NATS. No answer may be a 5xx."""

import asyncio
import socket
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.openapi import from_dict

from servicekit.config import PlatformSettings
from tenant_api.bootstrap import bootstrap
from tenant_api.config import Settings
from tenant_api.entrypoints import stream
from tenant_api.identity.auth.roles import Role

pytestmark = pytest.mark.integration
EXAMPLES = 15
"""Generated requests per operation and mode: enough to reach every field's edge cases in
the suite's time budget (the run is derandomized, so it is the same run every time)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
async def served(migrated_database, nats_server, business_token, under_test):
    """tenant-api on a real port, lifespan and all."""
    port = free_port()
    platform = PlatformSettings(
        database_url=migrated_database,
        nats_url=nats_server.url,
        internal_token=business_token,
        smtp_port=9,
    )
    service = under_test(bootstrap(Settings(platform=platform)))
    server = uvicorn.Server(
        uvicorn.Config(
            service.api, host="127.0.0.1", port=port, log_level="warning", access_log=False
        )
    )
    async with service.runtime.running(), stream.create_stream(service.composed):
        serving = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.05)
        yield service, f"http://127.0.0.1:{port}"
        server.should_exit = True
        await serving


@dataclass
class Run:
    """What a fuzz run sent, and the 5xx answers it got (each with a curl to repeat it)."""

    sent: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    def operation(self, operation: Any, mode: GenerationMode, base_url: str, headers: dict) -> None:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
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


def fuzz(document: dict[str, Any], base_url: str, signed_in: dict, token: str = "") -> Run:
    """Every operation of the document, with valid and with invalid requests."""
    run = Run()
    for result in from_dict(document).get_all_operations():
        operation = result.ok()
        internal = operation.path.startswith("/internal/")
        headers = {"Authorization": f"Bearer {token}"} if internal else signed_in
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run.operation(operation, mode, base_url, headers)
    return run


async def test_no_generated_request_gets_a_server_error(served, isp_on, business_token):
    app, base_url = served
    async with httpx.AsyncClient(base_url=base_url) as client:
        isp = await isp_on(app, client)
        # The tenant named both ways, so generated X-Tenant-ID values do not stop every
        # request at tenant resolution (a test of its own covers that header).
        owner = {**isp.as_(Role.OWNER), "X-Tenant-ID": str(isp.id)}
        loaded = await client.post("/api/v1/demo-data", json={"scenario": "small"}, headers=owner)
        assert loaded.status_code == 201, loaded.text
        document = app.openapi()
        run = await asyncio.to_thread(fuzz, document, base_url, owner, business_token)
    assert not run.failures, "\n".join(run.failures)
    operations = sum(len(methods) for methods in document["paths"].values())
    assert len(set(run.sent)) == operations, "every operation was sent requests"
    assert len(run.sent) >= operations * EXAMPLES
    accepted = sum(n for status, n in run.statuses.items() if status < 300)
    assert accepted > operations, f"signed in, many requests succeed: {run.statuses}"
    print(f"fuzz: {len(run.sent)} requests, {sorted(run.statuses.items())}")


async def test_the_fuzz_run_finds_a_server_error_where_there_is_one():
    """The run above proves something only if a 5xx would be caught: a route that fails on
    some inputs is found out."""
    from fastapi import FastAPI

    fragile = FastAPI()

    @fragile.get("/api/v1/fragile/{n}")
    async def divide(n: int) -> dict[str, float]:
        return {"inverse": 1 / (n % 3)}

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(fragile, host="127.0.0.1", port=port, log_level="critical")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    try:
        run = await asyncio.to_thread(fuzz, fragile.openapi(), f"http://127.0.0.1:{port}", {})
    finally:
        server.should_exit = True
        await serving
    assert run.failures and "GET /api/v1/fragile/{n}" in run.failures[0]
