"""Error paths through the real gateway: a request that fails costs only itself. Every
service behind Caddy answers a fault (its `_fault` route raises, as a bug would) with a 500
problem document, and the next requests over the same gateway connection are answered."""

import httpx
import pytest

from devstack.wiring import API_SERVICES

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


@pytest.mark.parametrize("service", [s.name for s in API_SERVICES])
async def test_a_failed_request_costs_only_itself(platform, service):
    one_connection = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(limits=one_connection, timeout=10) as http:
        base = f"{platform.gateway_url}/api/v1/{service}"
        for _ in range(3):
            failed = await http.get(f"{base}/_fault")
            assert failed.status_code == 500
            assert failed.headers["content-type"] == "application/problem+json"
            for _ in range(3):  # the next requests, on the connections the gateway reuses
                # a POST: the gateway retries a GET on another connection when the one it
                # reused turns out closed, but not a request that is not idempotent
                answered = await http.post(f"{base}/_fault", json={})
                assert answered.status_code == 200, (service, answered.status_code)
                assert answered.json() == {"answered": service}


async def test_a_client_leaving_mid_request_or_mid_stream_costs_nothing(platform, http):
    """A client that hangs up halfway through sending a request, or while it follows a
    deployment's server-sent events, leaves the services and the gateway's connections to them
    as they were: the next requests are answered."""
    import asyncio
    import uuid
    from urllib.parse import urlsplit

    gateway = urlsplit(platform.gateway_url)
    for _ in range(3):  # half a body, then gone
        _, writer = await asyncio.open_connection(gateway.hostname, gateway.port)
        writer.write(
            b"POST /api/v1/isp/register HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 4000\r\n\r\n"
            b'{"company": {"name": "Half'
        )
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    accepted = await http.post(
        f"{platform.gateway_url}/api/v1/isp/register",
        json=platform.registration("Leaving Early"),
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert accepted.status_code == 202, accepted.text
    events = f"{platform.gateway_url}{accepted.json()['status_url']}/events"
    for _ in range(3):  # the first event of the stream, then gone
        async with http.stream("GET", events) as stream:
            async for line in stream.aiter_lines():
                if line.startswith("data:"):
                    break

    one_connection = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(limits=one_connection, timeout=10) as client:
        for _ in range(5):
            answered = await client.post(f"{platform.gateway_url}/api/v1/registration/_fault")
            assert answered.status_code == 200, answered.status_code
    status = await platform.wait_for_state(
        http, platform.gateway_url + accepted.json()["status_url"], {"active"}
    )
    assert status["state"] == "active"
