"""A schema fuzz run: schemathesis generates requests for every operation of tenant-api's
OpenAPI document — valid ones and deliberately invalid ones (wrong types, missing fields,
out-of-range values, odd strings) — and sends them, signed in, to the service running on a real
port over real Postgres and NATS. No answer may be a 5xx."""

import asyncio
import socket

import httpx
import pytest
import uvicorn

from servicekit.config import PlatformSettings
from tenant_api.bootstrap import bootstrap
from tenant_api.config import Settings
from tenant_api.entrypoints import stream
from tenant_api.identity.auth.roles import Role

pytestmark = pytest.mark.integration
EXAMPLES = 25
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


@pytest.mark.timeout(900)  # 25 requests per operation and mode: minutes, not the suite's 300 s
async def test_no_generated_request_gets_a_server_error(
    served, isp_on, business_token, schema_fuzz
):
    app, base_url = served
    async with httpx.AsyncClient(base_url=base_url) as client:
        isp = await isp_on(app, client)
        # The tenant named both ways, so generated X-Tenant-ID values do not stop every
        # request at tenant resolution (a test of its own covers that header).
        owner = {**isp.as_(Role.OWNER), "X-Tenant-ID": str(isp.id)}
        loaded = await client.post("/api/v1/demo-data", json={"scenario": "small"}, headers=owner)
        assert loaded.status_code == 201, loaded.text
        document = app.openapi()
        internal = {"Authorization": f"Bearer {business_token}"}

        def headers_for(path: str) -> dict[str, str]:
            return internal if path.startswith("/internal/") else owner

        run = await asyncio.to_thread(schema_fuzz, document, base_url, headers_for, EXAMPLES)
    assert not run.failures, "\n".join(run.failures)
    operations = sum(len(methods) for methods in document["paths"].values())
    assert len(set(run.sent)) == operations, "every operation was sent requests"
    assert len(run.sent) >= operations * EXAMPLES
    accepted = sum(n for status, n in run.statuses.items() if status < 300)
    assert accepted > operations, f"signed in, many requests succeed: {run.statuses}"
    print(f"fuzz: {len(run.sent)} requests, {sorted(run.statuses.items())}")


async def test_the_fuzz_run_finds_a_server_error_where_there_is_one(schema_fuzz):
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
        run = await asyncio.to_thread(schema_fuzz, fragile.openapi(), f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        await serving
    assert run.failures and "GET /api/v1/fragile/{n}" in run.failures[0]
