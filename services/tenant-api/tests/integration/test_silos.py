"""Enterprise tenants placed in a schema of their own, served by the same code as shared ones
(the isolation probe runs over both placements)."""

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

pytestmark = pytest.mark.integration
TOKEN = "silo-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
async def api(start_tenant_api):
    async with start_tenant_api(internal_token=TOKEN, smtp_port=9) as (app, client):
        yield app, client


def spec(slug: str, **changes) -> dict:
    return {
        "slug": slug,
        "name": "Big Fiber",
        "tier": "enterprise",
        "host": f"{slug}.localhost",
        "owner": {"name": "Olga", "email": f"olga@{slug}.example"},
        "isolation": "silo",
        **changes,
    }


async def scalar(app, sql: str, **params):
    """As the schema owner: row-level security does not hide rows from it."""
    engine = create_async_engine(app.settings.platform.database_url)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text(sql), params)).scalar()
    finally:
        await engine.dispose()


async def test_a_silo_tenants_rows_live_in_its_own_schema_and_go_with_it(api):
    app, client = api
    tenant_id, slug = uuid.uuid4(), f"silo-{uuid.uuid4().hex[:8]}"
    schema = f"tenant_silo_{tenant_id.hex}"
    created = await client.put(f"/internal/v1/tenants/{tenant_id}", json=spec(slug), headers=AUTH)
    assert created.status_code == 201 and created.json()["isolation"] == "silo"
    again = await client.put(f"/internal/v1/tenants/{tenant_id}", json=spec(slug), headers=AUTH)
    assert again.status_code == 200, "idempotent"
    activated = await client.post(f"/internal/v1/tenants/{tenant_id}/activate", headers=AUTH)
    assert activated.status_code == 200

    # The owner made at activation is in the silo, under the same row-level security.
    owners = "SELECT count(*) FROM {}.users WHERE tenant_id = :t"
    assert await scalar(app, owners.format(f'"{schema}"'), t=tenant_id) == 1
    assert await scalar(app, owners.format("tenant_data"), t=tenant_id) == 0
    forced = await scalar(
        app,
        "SELECT bool_and(relforcerowsecurity) FROM pg_class c JOIN pg_namespace n "
        "ON n.oid = c.relnamespace WHERE n.nspname = :s AND c.relkind = 'r'",
        s=schema,
    )
    assert forced is True
    # Through the API, it is an ordinary tenant.
    host = {"Host": f"{slug}.localhost"}
    assert (await client.get("/api/v1/tenant", headers=host)).json()["isolation"] == "silo"

    dropped = await client.delete(f"/internal/v1/tenants/{tenant_id}", headers=AUTH)
    assert dropped.status_code == 204
    gone = "SELECT count(*) FROM information_schema.schemata WHERE schema_name = :s"
    assert await scalar(app, gone, s=schema) == 0
    assert (
        await client.delete(f"/internal/v1/tenants/{tenant_id}", headers=AUTH)
    ).status_code == 204


async def test_bad_placements_are_refused_and_leave_no_schema_behind(api):
    app, client = api
    taken = f"silo-{uuid.uuid4().hex[:8]}"
    assert (
        await client.put(f"/internal/v1/tenants/{uuid.uuid4()}", json=spec(taken), headers=AUTH)
    ).status_code == 201

    basic = await client.put(
        f"/internal/v1/tenants/{uuid.uuid4()}", json=spec("small", tier="basic"), headers=AUTH
    )
    assert basic.status_code == 422 and "enterprise" in basic.text
    odd = await client.put(
        f"/internal/v1/tenants/{uuid.uuid4()}", json=spec("odd", isolation="database"), headers=AUTH
    )
    assert odd.status_code == 422

    clash_id = uuid.uuid4()
    clash = await client.put(f"/internal/v1/tenants/{clash_id}", json=spec(taken), headers=AUTH)
    assert clash.status_code == 409
    schema = f"tenant_silo_{clash_id.hex}"
    gone = "SELECT count(*) FROM information_schema.schemata WHERE schema_name = :s"
    assert await scalar(app, gone, s=schema) == 0, "the refused tenant's silo was removed"
