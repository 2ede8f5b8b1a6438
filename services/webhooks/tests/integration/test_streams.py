"""The operator's (and each ISP's) events as server-sent events, through a real server:
what happens after connecting arrives as it happens, and a reconnect with Last-Event-ID goes
on where the stream left off."""

import asyncio
import json

import httpx
import pytest

pytestmark = pytest.mark.integration

PATH = "/api/v1/webhooks/operator/events"


async def _events(answer: httpx.Response, count: int) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    current: dict[str, str] = {}
    async with asyncio.timeout(10):
        async for line in answer.aiter_lines():
            if line == "":
                if "data" in current:
                    found.append(current)
                    if len(found) == count:
                        return found
                current = {}
            elif not line.startswith(":"):
                key, _, value = line.partition(": ")
                current[key] = value
    return found


async def test_a_stream_gets_new_events_and_resumes_after_last_event_id(
    on_a_socket, publish, harness
):
    async with httpx.AsyncClient(
        base_url=on_a_socket, headers=harness.OPERATOR, timeout=30
    ) as http:  # between events a stream is silent for up to 15 s
        async with http.stream("GET", PATH) as answer:
            assert answer.status_code == 200
            assert answer.headers["content-type"].startswith("text/event-stream")
            first = harness.registered()
            await asyncio.sleep(0.2)
            await publish(first)
            [event] = await _events(answer, 1)
        assert event["event"] == "isp.registered"
        assert json.loads(event["data"])["data"]["isp_id"] == str(first.isp_id)

        missed = [harness.registered(), harness.registered()]
        await publish(*missed)
        await asyncio.sleep(1.0)  # while nobody listens
        async with http.stream("GET", PATH, headers={"Last-Event-ID": event["id"]}) as answer:
            resumed = await _events(answer, 2)
        isps = {json.loads(e["data"])["data"]["isp_id"] for e in resumed}
        assert isps == {str(m.isp_id) for m in missed}
        assert all(int(e["id"]) > int(event["id"]) for e in resumed)


async def test_a_stream_needs_the_owner_s_credentials_and_a_sane_last_event_id(
    on_a_socket, harness
):
    async with httpx.AsyncClient(base_url=on_a_socket) as http:
        assert (await http.get(PATH)).status_code == 401
        refused = await http.get(PATH, headers={**harness.OPERATOR, "Last-Event-ID": "x'; --"})
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
