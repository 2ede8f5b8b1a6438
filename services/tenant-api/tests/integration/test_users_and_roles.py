"""User management and the role matrix, route by route, on real Postgres under RLS."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tenant_api.identity.auth.roles import PERMISSIONS, Permission, Role
from tenant_api.identity.auth.service import create_user
from tenant_api.models import Entitlement, mail_outbox

pytestmark = pytest.mark.integration
TOKEN = "users-test-token"
PASSWORD = "a password long enough"


@pytest.fixture(scope="module")
async def api(start_tenant_api):
    # Nothing listens on port 9: invitations stay queued, which is all these tests read.
    async with start_tenant_api(internal_token=TOKEN, smtp_port=9) as (app, c):
        yield c, app.runtime, app


async def isp_with_everyone(api) -> tuple[dict, dict[Role, dict], dict[Role, str]]:
    """A tenant with one user per role; returns its host header, auth headers and user ids."""
    client, runtime, service = api
    tenant_id, slug = uuid.uuid4(), f"u-{uuid.uuid4().hex[:8]}"
    spec = {"slug": slug, "name": "ISP", "tier": "basic", "host": f"{slug}.localhost"}
    await client.put(
        f"/internal/v1/tenants/{tenant_id}", json=spec, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    host = {"Host": f"{slug}.localhost"}
    ids = {}
    now = datetime.now(UTC)
    async with runtime.db.unit_of_work() as session:  # what licensing's LicenceIssued records
        session.add(
            Entitlement(
                tenant_id=tenant_id,
                licence_id=uuid.uuid4(),
                tier="basic",
                plugins=["customer_management", "user_auth"],
                customer_cap=1000,
                api_rate_per_minute=60,
                issued_at=now,
                expires_at=now + timedelta(days=365),
                status="active",
            )
        )
    await service.entitlements.load(runtime.db, str(tenant_id))
    async with runtime.db.unit_of_work(tenant=tenant_id) as session:
        for role in Role:
            user = await create_user(
                session,
                tenant_id=tenant_id,
                email=f"{role.value}@{slug}.example",
                name=role.value,
                role=role,
                password=PASSWORD,
                now=datetime.now(UTC),
            )
            ids[role] = str(user.id)
    auth = {}
    for role in Role:
        pair = (
            await client.post(
                "/api/v1/auth/login",
                json={"email": f"{role.value}@{slug}.example", "password": PASSWORD},
                headers=host,
            )
        ).json()
        auth[role] = {**host, "Authorization": f"Bearer {pair['access_token']}"}
    return host, auth, ids


@pytest.fixture(scope="module")
async def everyone(api):
    return await isp_with_everyone(api)


ROUTES = [
    ("GET", "/api/v1/users", None, Permission.USERS_READ),
    (
        "POST",
        "/api/v1/users",
        {"email": "new-{r}@x.example", "name": "New", "role": "support"},
        Permission.USERS_MANAGE,
    ),
    ("PATCH", "/api/v1/users/{read_only}", {"role": "read_only"}, Permission.USERS_MANAGE),
    ("GET", "/api/v1/customers", None, Permission.CUSTOMERS_READ),
    ("POST", "/api/v1/customers", {"name": "Customer {r}"}, Permission.CUSTOMERS_WRITE),
    ("GET", "/api/v1/api-keys", None, Permission.API_KEYS_MANAGE),
    (
        "POST",
        "/api/v1/api-keys",
        {"name": "key {r}", "scopes": ["customers:read"]},
        Permission.API_KEYS_MANAGE,
    ),
]


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(("method", "path", "body", "permission"), ROUTES)
async def test_the_role_matrix_route_by_route(api, everyone, role, method, path, body, permission):
    client, *_ = api
    _, auth, ids = everyone
    url = path.format(read_only=ids[Role.READ_ONLY])
    payload = {
        k: v.format(r=uuid.uuid4().hex[:6]) if isinstance(v, str) else v
        for k, v in (body or {}).items()
    } or None
    response = await client.request(method, url, json=payload, headers=auth[role])
    allowed = permission in PERMISSIONS[role]
    assert response.status_code in ((200, 201) if allowed else (403,)), response.text
    if not allowed:
        assert response.json()["permission"] == permission.value


async def test_an_admin_invites_users_but_only_an_owner_makes_owners(api):
    client, runtime, _ = api
    _, auth, _ = await isp_with_everyone(api)
    invite = {"email": f"pat-{uuid.uuid4().hex[:6]}@x.example", "name": "Pat", "role": "billing"}
    made = await client.post("/api/v1/users", json=invite, headers=auth[Role.ADMIN])
    assert made.status_code == 201 and made.json()["role"] == "billing"
    again = await client.post("/api/v1/users", json=invite, headers=auth[Role.ADMIN])
    assert again.status_code == 409
    async with runtime.db.unit_of_work() as s:
        queued = (
            (
                await s.execute(
                    select(mail_outbox.c.subject).where(mail_outbox.c.to_address == invite["email"])
                )
            )
            .scalars()
            .all()
        )
    assert len(queued) == 1, "one invitation, however often asked"

    owner_invite = {**invite, "email": f"o-{uuid.uuid4().hex[:6]}@x.example", "role": "owner"}
    assert (
        await client.post("/api/v1/users", json=owner_invite, headers=auth[Role.ADMIN])
    ).status_code == 403
    assert (
        await client.post("/api/v1/users", json=owner_invite, headers=auth[Role.OWNER])
    ).status_code == 201


async def test_the_last_owner_stays_and_a_disabled_user_is_signed_out(api):
    client, *_ = api
    host, auth, ids = await isp_with_everyone(api)
    demote = await client.patch(
        f"/api/v1/users/{ids[Role.OWNER]}", json={"role": "admin"}, headers=auth[Role.OWNER]
    )
    assert demote.status_code == 409
    by_admin = await client.patch(
        f"/api/v1/users/{ids[Role.OWNER]}", json={"status": "disabled"}, headers=auth[Role.ADMIN]
    )
    assert by_admin.status_code == 403

    disabled = await client.patch(
        f"/api/v1/users/{ids[Role.SUPPORT]}", json={"status": "disabled"}, headers=auth[Role.ADMIN]
    )
    assert disabled.json()["status"] == "disabled"
    support_email = next(
        u["email"]
        for u in (await client.get("/api/v1/users", headers=auth[Role.ADMIN])).json()["users"]
        if u["id"] == ids[Role.SUPPORT]
    )
    login = await client.post(
        "/api/v1/auth/login", json={"email": support_email, "password": PASSWORD}, headers=host
    )
    assert login.status_code == 401


async def test_another_tenants_user_is_invisible(api):
    client, *_ = api
    _, auth_a, _ = await isp_with_everyone(api)
    _, _, ids_b = await isp_with_everyone(api)
    response = await client.patch(
        f"/api/v1/users/{ids_b[Role.SUPPORT]}", json={"role": "admin"}, headers=auth_a[Role.OWNER]
    )
    assert response.status_code == 404
    listed = (await client.get("/api/v1/users", headers=auth_a[Role.OWNER])).json()["users"]
    assert ids_b[Role.SUPPORT] not in {u["id"] for u in listed}


@pytest.mark.parametrize(
    "body",
    [{"role": "emperor"}, {"status": "deleted"}, {"role": "admin", "tenant_id": "x"}, []],
    ids=str,
)
async def test_malformed_updates_are_a_422(api, body):
    client, *_ = api
    _, auth, ids = await isp_with_everyone(api)
    response = await client.patch(
        f"/api/v1/users/{ids[Role.SUPPORT]}", json=body, headers=auth[Role.OWNER]
    )
    assert response.status_code == 422
