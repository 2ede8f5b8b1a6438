from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from servicekit.config import PlatformSettings
from tenant_api.config import Settings
from tenant_api.entrypoints.api import create_app

StartTenantApi = Callable[..., AbstractAsyncContextManager[tuple[FastAPI, httpx.AsyncClient]]]


@pytest.fixture(scope="session")
def start_tenant_api(migrated_database: str, nats_server: Any) -> StartTenantApi:
    """Run tenant-api in this process (lifespan and all: consumers, relay, mail sender) on the
    session's Postgres and NATS, with `platform` settings overridden; yield it and a client."""

    @asynccontextmanager
    async def start(**platform: Any) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
        settings = PlatformSettings(
            database_url=migrated_database, nats_url=nats_server.url, **platform
        )
        app = create_app(Settings(platform=settings))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://tenant-api") as c:
                yield app, c

    return start


@pytest.fixture
def publish(nats_server: Any) -> Callable[..., Any]:
    """Publish events to JetStream as their owning service's relay would."""

    async def send(*events: Any, source: str = "licensing") -> None:
        import uuid
        from datetime import UTC, datetime

        from dotmac_contracts import encode_event
        from servicekit.bus import connect

        nc = await connect(nats_server.url, name="tenant-api-test")
        js = nc.jetstream()
        for event in events:
            envelope = encode_event(
                event, event_id=str(uuid.uuid4()), source=source, time=datetime.now(UTC)
            )
            await js.publish(event.subject, envelope.data, headers=envelope.headers())
        await nc.close()

    return send
