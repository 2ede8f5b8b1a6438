"""The tenant-api client's health check: a burst of onboardings shares one request."""

import asyncio

import httpx
import pytest

from provisioning.clients.tenant_api import TenantApi


def client(answers: list[int], gate: asyncio.Event) -> tuple[TenantApi, list[str]]:
    asked: list[str] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        await gate.wait()
        return httpx.Response(answers[len(asked) - 1])

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return TenantApi("http://tenant-api", "token", http), asked


async def test_callers_during_a_check_share_its_answer():
    gate = asyncio.Event()
    tenants, asked = client([200, 200], gate)
    waiting = [asyncio.create_task(tenants.health()) for _ in range(10)]
    await asyncio.sleep(0.01)
    gate.set()
    await asyncio.gather(*waiting)
    assert asked == ["/healthz"]

    await tenants.health()  # a later caller asks again
    assert asked == ["/healthz", "/healthz"]


async def test_a_failed_check_fails_every_caller_and_the_next_one_asks_anew():
    gate = asyncio.Event()
    tenants, asked = client([503, 200], gate)
    waiting = [asyncio.create_task(tenants.health()) for _ in range(3)]
    await asyncio.sleep(0.01)
    gate.set()
    outcomes = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(o, httpx.HTTPStatusError) for o in outcomes)
    assert len(asked) == 1

    await tenants.health()
    assert len(asked) == 2


async def test_a_caller_that_gives_up_leaves_the_check_to_the_others():
    gate = asyncio.Event()
    tenants, asked = client([200], gate)
    impatient = asyncio.create_task(tenants.health())
    patient = asyncio.create_task(tenants.health())
    await asyncio.sleep(0.01)
    impatient.cancel()
    gate.set()
    await patient
    with pytest.raises(asyncio.CancelledError):
        await impatient
    assert asked == ["/healthz"]
