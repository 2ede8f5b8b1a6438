"""SessionDep on the real Postgres: an endpoint's writes are committed before its response is
sent, so what a client is told succeeded is there when it asks again; and a commit that fails
is the request's failure, never a success that did not happen."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy import text

from servicekit.config import PlatformSettings
from servicekit.http import SessionDep, create_service_app
from servicekit.messaging import messaging_tables
from servicekit.runtime import Runtime
from servicekit.serving import Role
from servicekit.testing import served

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(migrated_database: str, nats_server) -> AsyncIterator[httpx.AsyncClient]:
    from sqlalchemy import MetaData

    schema = f"kit_{uuid.uuid4().hex[:8]}"
    runtime = Runtime(
        name="kit-test",
        settings=PlatformSettings(database_url=migrated_database, nats_url=nats_server.url),
        tables=messaging_tables(MetaData(schema=schema)),
    )
    async with runtime.db.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await conn.execute(
            text(
                f'CREATE TABLE "{schema}".things (name text, '
                "CONSTRAINT one_each UNIQUE (name) DEFERRABLE INITIALLY DEFERRED)"
            )
        )
        await conn.run_sync(runtime.tables.outbox.metadata.create_all)
    router = APIRouter()

    @router.post("/things/{name}", status_code=201)
    async def add(name: str, session: SessionDep) -> dict[str, str]:
        # Checked only at commit (deferred): the endpoint itself returns happily.
        await session.execute(text(f'INSERT INTO "{schema}".things VALUES (:n)'), {"n": name})
        return {"name": name}

    @router.get("/things")
    async def count(session: SessionDep) -> dict[str, int]:
        rows = await session.execute(text(f'SELECT count(*) FROM "{schema}".things'))
        return {"things": rows.scalar_one()}

    app = create_service_app(
        name="kit", title="kit", description="", state={"runtime": runtime}, routers=[router]
    )
    async with served(runtime, [Role(app=app)], raise_app_exceptions=False) as c:
        yield c
    async with runtime.db.engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await runtime.db.dispose()


async def test_what_an_endpoint_wrote_is_committed_before_it_answers(client):
    assert (await client.post("/things/a")).status_code == 201
    assert (await client.get("/things")).json() == {"things": 1}


async def test_a_commit_that_fails_fails_the_request_and_keeps_nothing(client):
    assert (await client.post("/things/b")).status_code == 201
    again = await client.post("/things/b")  # the deferred constraint refuses it at commit
    assert again.status_code == 500, "a request whose commit failed was answered as a success"
    assert (await client.get("/things")).json() == {"things": 1}
