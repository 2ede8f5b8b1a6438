"""Demo requests on real Postgres and NATS: accepted and announced once; one live demo per
email; one network address may ask for only so many an hour; bad requests store nothing."""

import uuid

import httpx
import pytest
from sqlalchemy import func, select

from registration.bootstrap import bootstrap
from registration.config import Settings
from registration.entrypoints import api as api_entry
from registration.models import Demo, messaging
from servicekit.config import PlatformSettings
from servicekit.testing import running

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def api(migrated_database, nats_server):
    platform = PlatformSettings(database_url=migrated_database, nats_url=nats_server.url)
    registration = bootstrap(Settings(platform=platform, demos_per_address_per_hour=2))
    async with running(registration.runtime, [api_entry.role(registration)]) as app:
        yield app, registration.runtime


def client_from(app, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://gateway")


def asking(email: str | None = None, **more) -> dict:
    email = email or f"p-{uuid.uuid4().hex[:8]}@prospect.example"
    return {"prospect": {"name": "Pat", "email": email}, "company": "Bay Fiber", **more}


async def count_demos(runtime, address: str) -> int:
    async with runtime.db.unit_of_work() as session:
        return await session.scalar(
            select(func.count()).select_from(Demo).where(Demo.requested_from == address)
        )


async def test_a_demo_is_accepted_announced_once_and_one_per_email(api):
    app, runtime = api
    address = "198.51.100.7"
    async with client_from(app, address) as client:
        body = asking(scenario="enterprise")
        first = await client.post("/api/v1/demos", json=body)
        assert first.status_code == 202, first.text
        demo = first.json()
        assert (demo["state"], demo["tier"], demo["scenario"]) == (
            "requested",
            "enterprise",
            "enterprise",
        )
        assert first.headers["location"] == demo["status_url"]
        assert demo["slug"].startswith("demo-bay-fiber-")
        again = await client.post("/api/v1/demos", json=body)
        assert again.status_code == 409
        assert again.json()["status_url"] == demo["status_url"]
        shown = await client.get(demo["status_url"])
        assert shown.json()["demo_id"] == demo["demo_id"]
    async with runtime.db.unit_of_work() as session:
        subjects = (
            await session.execute(
                select(messaging.outbox.c.subject).where(
                    messaging.outbox.c.ce_subject == demo["demo_id"]
                )
            )
        ).scalars()
        assert list(subjects) == ["dotmac.registration.demo.requested.v1"]


async def test_an_address_may_ask_for_only_so_many_demos_an_hour(api):
    app, runtime = api
    busy, other = "203.0.113.9", "203.0.113.10"
    async with client_from(app, busy) as client:
        for _ in range(2):
            assert (await client.post("/api/v1/demos", json=asking())).status_code == 202
        refused = await client.post("/api/v1/demos", json=asking())
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert 1 <= int(refused.headers["retry-after"]) <= 3600
    assert await count_demos(runtime, busy) == 2
    async with client_from(app, other) as client:  # another address is not held back
        assert (await client.post("/api/v1/demos", json=asking())).status_code == 202


@pytest.mark.parametrize(
    "body",
    [
        {"prospect": {"name": "Pat", "email": "nope"}, "company": "Bay"},
        {"prospect": {"name": "Pat", "email": "p@x.example"}, "company": "Bay", "scenario": "xl"},
        {"prospect": {"name": "\x00", "email": "p@x.example"}, "company": "Bay"},
        {"prospect": {"name": "Pat", "email": "p@x.example"}},
        {"prospect": {"name": "Pat", "email": "p@x.example"}, "company": "Bay", "tier": "free"},
    ],
)
async def test_bad_demo_requests_are_422_and_store_nothing(api, body):
    app, runtime = api
    address = f"192.0.2.{uuid.uuid4().int % 250 + 1}"
    async with client_from(app, address) as client:
        response = await client.post("/api/v1/demos", json=body)
        assert response.status_code == 422, response.text
        malformed = await client.post(
            "/api/v1/demos", content=b"{", headers={"Content-Type": "application/json"}
        )
        assert malformed.status_code in (400, 422)
    assert await count_demos(runtime, address) == 0
