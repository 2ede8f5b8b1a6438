"""Licensing run in this process (lifespan and all: consumers, outbox relay) on the session's
Postgres and NATS, and the ways its tests feed it events and read what it announced."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from dotmac_contracts import Event, encode_event
from dotmac_contracts.events import TenantActivated
from dotmac_contracts.registry import EVENTS
from licensing.bootstrap import bootstrap
from licensing.config import Settings
from licensing.entrypoints import api as api_entry
from licensing.entrypoints import stream as stream_entry
from licensing.models import messaging
from servicekit.bus import connect
from servicekit.config import PlatformSettings
from servicekit.runtime import Runtime
from servicekit.testing import served

INTERNAL_TOKEN = "licensing-test-internal-token"


@pytest.fixture(scope="module")
async def api(
    migrated_database: str, nats_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime, Any]]:
    platform = PlatformSettings(
        database_url=migrated_database, nats_url=nats_server.url, internal_token=INTERNAL_TOKEN
    )
    key_file = tmp_path_factory.mktemp("licensing") / "key.pem"
    licensing = bootstrap(Settings(platform=platform, signing_key_file=key_file))
    roles = [api_entry.role(licensing), stream_entry.role(licensing)]
    async with served(licensing.runtime, roles, base_url="http://licensing") as c:
        yield c, licensing.runtime, nats_server


@pytest.fixture
def operator() -> dict[str, str]:
    """Headers of a DotMac service calling licensing's /internal routes."""
    return {"Authorization": f"Bearer {INTERNAL_TOKEN}"}


@pytest.fixture
def publish(nats_server: Any) -> Callable[..., Awaitable[None]]:
    """Publish events to JetStream as another service would, each under a new event id."""

    async def send(*events: Event) -> None:
        nc = await connect(nats_server.url, name="licensing-test")
        for event in events:
            envelope = encode_event(
                event, event_id=str(uuid.uuid4()), source="tenant-api", time=datetime.now(UTC)
            )
            await nc.jetstream().publish(event.subject, envelope.data, headers=envelope.headers())
        await nc.close()

    return send


async def wait_for_licence(client: httpx.AsyncClient, isp_id: uuid.UUID) -> dict[str, Any]:
    for _ in range(100):
        response = await client.get(f"/api/v1/licensing/isps/{isp_id}/licence")
        if response.status_code == 200:
            body: dict[str, Any] = response.json()
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"no licence for {isp_id}")


@pytest.fixture
def licensed_isp(
    api: tuple[httpx.AsyncClient, Runtime, Any], publish: Callable[..., Awaitable[None]]
) -> Callable[[str], Awaitable[dict[str, Any]]]:
    """Activate a new ISP's tenant on `tier` and return the licence licensing issued it."""
    client = api[0]

    async def activate(tier: str) -> dict[str, Any]:
        isp_id = uuid.uuid4()
        slug = f"isp-{isp_id.hex[:8]}"
        await publish(
            TenantActivated(
                isp_id=isp_id,
                slug=slug,
                tier=tier,
                host=f"{slug}.localhost",
                activated_at=datetime.now(UTC),
            )
        )
        return await wait_for_licence(client, isp_id)

    return activate


@pytest.fixture
def announced(
    api: tuple[httpx.AsyncClient, Runtime, Any],
) -> Callable[[uuid.UUID], Awaitable[list[Event]]]:
    """Every event licensing staged in its outbox about an ISP, oldest first."""
    runtime = api[1]

    async def events(isp_id: uuid.UUID) -> list[Event]:
        outbox = messaging.outbox
        async with runtime.db.unit_of_work() as s:
            rows = (
                await s.execute(
                    select(outbox.c.subject, outbox.c.data)
                    .where(outbox.c.ce_subject == str(isp_id))
                    .order_by(outbox.c.id)
                )
            ).all()
        return [EVENTS[subject].model_validate_json(data) for subject, data in rows]

    return events
