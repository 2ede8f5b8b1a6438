"""Signing in to a tenant, and row-level security keeping tenants' users apart, on real
Postgres with the service connected as its own non-owner role."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from tenant_api.identity.auth.roles import Role
from tenant_api.identity.auth.service import create_user
from tenant_api.models import User

pytestmark = pytest.mark.integration
TOKEN = "auth-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
async def api(start_tenant_api):
    async with start_tenant_api(internal_token=TOKEN) as (app, c):
        yield c, app.runtime


async def new_tenant(api, *users: tuple[str, Role]) -> tuple[uuid.UUID, dict]:
    client, runtime = api
    tenant_id, slug = uuid.uuid4(), f"t-{uuid.uuid4().hex[:8]}"
    spec = {"slug": slug, "name": "ISP", "tier": "basic", "host": f"{slug}.localhost"}
    assert (
        await client.put(f"/internal/v1/tenants/{tenant_id}", json=spec, headers=AUTH)
    ).status_code == 201
    async with runtime.db.unit_of_work(tenant=tenant_id) as session:
        for email, role in users:
            await create_user(
                session,
                tenant_id=tenant_id,
                email=email,
                name="Ann",
                role=role,
                password=PASSWORD,
                now=datetime.now(UTC),
            )
    return tenant_id, {"Host": f"{slug}.localhost"}


async def test_sign_in_use_the_token_refresh_once_and_sign_out(api):
    client, _ = api
    tenant_id, host = await new_tenant(api, ("Ann@Acme.example", Role.OWNER))
    login = await client.post(
        "/api/v1/auth/login",
        json={"email": "ann@acme.example", "password": PASSWORD},
        headers=host,
    )
    assert login.status_code == 200, login.text
    pair = login.json()
    assert pair["token_type"] == "bearer" and pair["expires_in"] == 900
    me = await client.get(
        "/api/v1/auth/me", headers={**host, "Authorization": f"Bearer {pair['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["email"] == "ann@acme.example" and me.json()["role"] == "owner"
    assert me.json()["tenant_id"] == str(tenant_id)

    renewed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}, headers=host
    )
    assert renewed.status_code == 200
    fresh = renewed.json()
    # The old refresh token is spent; presenting it again ends every session of the user.
    reused = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}, headers=host
    )
    assert reused.status_code == 401 and "already used" in reused.json()["detail"]
    after_theft = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": fresh["refresh_token"]}, headers=host
    )
    assert after_theft.status_code == 401

    second = (
        await client.post(
            "/api/v1/auth/login",
            json={"email": "ann@acme.example", "password": PASSWORD},
            headers=host,
        )
    ).json()
    assert (
        await client.post(
            "/api/v1/auth/logout", json={"refresh_token": second["refresh_token"]}, headers=host
        )
    ).status_code == 204
    assert (
        await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}, headers=host
        )
    ).status_code == 401


@pytest.mark.parametrize(
    ("email", "password"),
    [("ann@acme.example", "wrong"), ("nobody@acme.example", PASSWORD)],
)
async def test_wrong_credentials_are_a_401_that_does_not_say_which_part_was_wrong(
    api, email, password
):
    client, _ = api
    _, host = await new_tenant(api, ("ann@acme.example", Role.ADMIN))
    response = await client.post(
        "/api/v1/auth/login", json={"email": email, "password": password}, headers=host
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The email or the password is wrong."


async def test_a_user_of_one_tenant_cannot_sign_in_or_act_at_another(api):
    client, _ = api
    _, host_a = await new_tenant(api, ("ann@a.example", Role.OWNER))
    _, host_b = await new_tenant(api, ("bob@b.example", Role.OWNER))
    at_b = await client.post(
        "/api/v1/auth/login", json={"email": "ann@a.example", "password": PASSWORD}, headers=host_b
    )
    assert at_b.status_code == 401
    token_a = (
        await client.post(
            "/api/v1/auth/login",
            json={"email": "ann@a.example", "password": PASSWORD},
            headers=host_a,
        )
    ).json()
    me_at_b = await client.get(
        "/api/v1/auth/me", headers={**host_b, "Authorization": f"Bearer {token_a['access_token']}"}
    )
    # the host names B, the token A: two ISPs that disagree (README), refused before either is
    # consulted
    assert me_at_b.status_code == 400 and "another ISP" in me_at_b.json()["detail"]
    refresh_at_b = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": token_a["refresh_token"]}, headers=host_b
    )
    assert refresh_at_b.status_code == 401, "B's transaction cannot even see A's token"


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer",
        "Bearer not-a-jwt",
        "Basic YWxhZGRpbjpvcGVuc2VzYW1l",
        "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
    ],
)
async def test_missing_forged_or_malformed_tokens_are_a_401(api, authorization):
    client, _ = api
    _, host = await new_tenant(api)
    headers = {**host, **({"Authorization": authorization} if authorization else {})}
    response = await client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "not-an-email", "password": "x"},
        {"email": "a@b.example", "password": ""},
        {"email": "a@b.example", "password": "x" * 2000},
        {"email": "a@b.example", "password": 5},
        {"email": "a@b.example", "password": "x", "role": "owner"},
    ],
    ids=str,
)
async def test_malformed_logins_are_a_422(api, body):
    client, _ = api
    _, host = await new_tenant(api)
    assert (await client.post("/api/v1/auth/login", json=body, headers=host)).status_code == 422


async def test_row_level_security_binds_the_service_role(api):
    _, runtime = api
    tenant_a, _ = await new_tenant(
        api, ("a1@a.example", Role.OWNER), ("a2@a.example", Role.SUPPORT)
    )
    tenant_b, _ = await new_tenant(api, ("b1@b.example", Role.OWNER))
    async with runtime.db.unit_of_work() as session:
        role = (await session.execute(text("SELECT current_user"))).scalar_one()
        unscoped = (await session.execute(select(func.count()).select_from(User))).scalar_one()
    assert role == "dotmac_tenant_api"
    assert unscoped == 0, "without a tenant, a transaction sees no tenant rows at all"
    async with runtime.db.unit_of_work(tenant=tenant_a) as session:
        seen = set((await session.execute(select(User.tenant_id))).scalars())
    assert seen == {tenant_a}
    with pytest.raises(DBAPIError, match="row-level security"):
        async with runtime.db.unit_of_work(tenant=tenant_a) as session:
            await create_user(
                session,
                tenant_id=tenant_b,
                email="mole@b.example",
                name="Mole",
                role=Role.OWNER,
                password=None,
                now=datetime.now(UTC),
            )
    async with runtime.db.unit_of_work(tenant=tenant_b) as session:
        emails = set((await session.execute(select(User.email))).scalars())
    assert emails == {"b1@b.example"}
