"""What a licence decides inside a tenant, on real Postgres and NATS: API keys and their rate,
customer caps, read-only while suspended; and how a request finds its tenant."""

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from dotmac_contracts.events import (
    LicenceChanged,
    LicenceIssued,
    LicenceReinstated,
    LicenceRevoked,
    LicenceSuspended,
)
from tenant_api.customers.counts import CountAnnouncer
from tenant_api.identity.auth.roles import Role
from tenant_api.identity.auth.service import create_user
from tenant_api.models import ApiKey, Customer, CustomerCountDue, messaging

pytestmark = pytest.mark.integration
TOKEN = "licence-effects-token"
PASSWORD = "a password long enough"
PLUGINS = ["customer_management", "basic_billing", "user_auth"]


@pytest.fixture(scope="module")
async def api(start_tenant_api):
    async with start_tenant_api(internal_token=TOKEN, smtp_port=9) as (app, client):
        yield app, client


def licence(tenant_id, *, tier="basic", cap=1000, rate=60, **changes) -> LicenceIssued:
    now = datetime.now(UTC)
    return LicenceIssued(
        licence_id=uuid.uuid4(),
        isp_id=tenant_id,
        tier=tier,
        plugins=PLUGINS,
        customer_cap=cap,
        api_rate_per_minute=rate,
        issued_at=now,
        expires_at=now + timedelta(days=365),
        token="signed elsewhere",
        **changes,
    )


async def until(check, what: str) -> None:
    for _ in range(200):
        if await check():
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"never happened: {what}")


class Isp:
    """A tenant with a licence and people signed in, as licensing and activation leave it."""

    def __init__(self, app, client, publish) -> None:
        self.app, self.client, self.publish = app, client, publish
        self.id = uuid.uuid4()
        self.slug = f"lic-{self.id.hex[:8]}"
        self.host = {"Host": f"{self.slug}.localhost"}
        self.auth: dict[Role, dict] = {}
        self.user_ids: dict[Role, uuid.UUID] = {}
        self.licence: LicenceIssued | None = None

    async def start(self, **terms) -> "Isp":
        spec = {"slug": self.slug, "name": "ISP", "tier": "basic", "host": self.host["Host"]}
        created = await self.client.put(
            f"/internal/v1/tenants/{self.id}",
            json=spec,
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert created.status_code in (200, 201), created.text
        async with self.app.runtime.db.unit_of_work(tenant=self.id) as session:
            for role in (Role.OWNER, Role.ADMIN, Role.READ_ONLY):
                user = await create_user(
                    session,
                    tenant_id=self.id,
                    email=f"{role.value}@{self.slug}.example",
                    name=role.value,
                    role=role,
                    password=PASSWORD,
                    now=datetime.now(UTC),
                )
                self.user_ids[role] = user.id
        self.licence = licence(self.id, **terms)
        await self.announce(self.licence, lambda g: g is not None)
        for role in self.user_ids:
            await self.sign_in(role)
        return self

    async def sign_in(self, role: Role) -> None:
        pair = await self.client.post(
            "/api/v1/auth/login",
            json={"email": f"{role.value}@{self.slug}.example", "password": PASSWORD},
            headers=self.host,
        )
        assert pair.status_code == 200, pair.text
        self.auth[role] = {**self.host, "Authorization": f"Bearer {pair.json()['access_token']}"}

    async def announce(self, event, settled) -> None:
        """Publish a licensing event and wait until this replica's store reflects it."""
        await self.publish(event)
        store = self.app.entitlements

        async def applied() -> bool:
            return bool(settled(store.grant(self.id)))

        await until(applied, f"{type(event).__name__} applied")

    async def new_key(self, scopes=("customers:read", "customers:write")) -> dict:
        response = await self.client.post(
            "/api/v1/api-keys",
            json={"name": "billing sync", "scopes": list(scopes)},
            headers=self.auth[Role.ADMIN],
        )
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture
async def isp(api, publish):
    app, client = api

    async def make(**terms) -> Isp:
        return await Isp(app, client, publish).start(**terms)

    return make


def key_auth(key: str, **headers) -> dict:
    return {**headers, "Authorization": f"Bearer {key}"}


async def test_an_api_key_is_shown_once_stored_hashed_scoped_and_revoked_at_once(isp, api):
    app, client = api
    acme = await isp()
    created = await acme.new_key(scopes=["customers:read"])
    key = created["key"]
    assert key.startswith("dmk_") and created["prefix"] == key[: len(created["prefix"])]
    assert created["scopes"] == ["customers:read"]

    listed = (await client.get("/api/v1/api-keys", headers=acme.auth[Role.OWNER])).json()
    assert [k["id"] for k in listed["api_keys"]] == [created["id"]]
    assert "key" not in listed["api_keys"][0]
    async with app.runtime.db.unit_of_work(tenant=acme.id) as session:
        stored = (await session.execute(select(ApiKey))).scalars().one()
    assert key not in stored.key_hash and len(stored.key_hash) == 64

    # The key works where its scopes reach, through the host or X-Tenant-ID, and nowhere else.
    assert (
        await client.get("/api/v1/customers", headers=key_auth(key, **acme.host))
    ).status_code == 200
    by_header = await client.get(
        "/api/v1/customers", headers=key_auth(key, **{"X-Tenant-ID": str(acme.id)})
    )
    assert by_header.status_code == 200
    alone = await client.get("/api/v1/customers", headers=key_auth(key))
    assert alone.status_code == 200, "the key names its tenant"
    write = await client.post(
        "/api/v1/customers", json={"name": "Ann"}, headers=key_auth(key, **acme.host)
    )
    assert write.status_code == 403 and write.json()["permission"] == "customers:write"
    for people_only in ("/api/v1/users", "/api/v1/api-keys", "/api/v1/auth/me"):
        refused = await client.get(people_only, headers=key_auth(key, **acme.host))
        assert refused.status_code == 403, people_only

    revoked = await client.delete(
        f"/api/v1/api-keys/{created['id']}", headers=acme.auth[Role.ADMIN]
    )
    assert revoked.status_code == 204
    after = await client.get("/api/v1/customers", headers=key_auth(key, **acme.host))
    assert after.status_code == 401 and after.headers["content-type"] == "application/problem+json"
    again = await client.delete(f"/api/v1/api-keys/{created['id']}", headers=acme.auth[Role.ADMIN])
    assert again.status_code == 204
    unknown = await client.delete(f"/api/v1/api-keys/{uuid.uuid4()}", headers=acme.auth[Role.ADMIN])
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "scopes": ["users:manage"]},
        {"name": "x", "scopes": ["api_keys:manage"]},
        {"name": "x", "scopes": ["customers:delete-everything"]},
        {"name": "x", "scopes": []},
        {"name": "x" * 101, "scopes": ["customers:read"]},
        {"name": "x", "scopes": "customers:read"},
        {"name": "x", "scopes": ["customers:read"], "admin": True},
        {"name": "x", "scopes": ["customers:read"], "expires_at": "2001-01-01T00:00:00Z"},
        {"scopes": ["customers:read"]},
    ],
)
async def test_bad_key_requests_are_422_and_create_nothing(isp, api, body):
    app, client = api
    acme = await isp()
    response = await client.post("/api/v1/api-keys", json=body, headers=acme.auth[Role.OWNER])
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    async with app.runtime.db.unit_of_work(tenant=acme.id) as session:
        assert (await session.execute(select(ApiKey))).first() is None


async def test_only_owners_and_admins_make_keys_and_a_tier_without_api_access_has_none(isp, api):
    _, client = api
    acme = await isp()
    body = {"name": "x", "scopes": ["customers:read"]}
    read_only = await client.post("/api/v1/api-keys", json=body, headers=acme.auth[Role.READ_ONLY])
    assert read_only.status_code == 403

    free = await isp(tier="free", cap=100, rate=None)
    refused = await client.post("/api/v1/api-keys", json=body, headers=free.auth[Role.OWNER])
    assert refused.status_code == 403 and refused.json()["required_tier"] == "basic"


async def test_keys_beyond_the_rate_get_429_with_retry_after(isp, api):
    _, client = api
    acme = await isp(rate=5)
    key = (await acme.new_key())["key"]
    answers = [
        (await client.get("/api/v1/customers", headers=key_auth(key, **acme.host))).status_code
        for _ in range(6)
    ]
    assert answers == [200] * 5 + [429]
    limited = await client.get("/api/v1/customers", headers=key_auth(key, **acme.host))
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1  # 5 a minute: one more in 12 s
    assert limited.json()["limit_per_minute"] == 5
    # People signed in are not counted against the API rate.
    mine = await client.get("/api/v1/customers", headers=acme.auth[Role.OWNER])
    assert mine.status_code == 200


async def test_customers_stop_at_the_tier_cap_even_when_created_at_once(isp, api):
    app, client = api
    acme = await isp(cap=3)
    first = await client.post(
        "/api/v1/customers", json={"name": "Ann Smith"}, headers=acme.auth[Role.ADMIN]
    )
    assert first.status_code == 201 and first.json()["account_number"] == "C0000001"
    rush = await asyncio.gather(
        *(
            client.post(
                "/api/v1/customers", json={"name": f"Rush {i}"}, headers=acme.auth[Role.ADMIN]
            )
            for i in range(6)
        )
    )
    assert sorted(r.status_code for r in rush) == [201, 201, 403, 403, 403, 403]
    refused = next(r for r in rush if r.status_code == 403).json()
    assert (refused["customer_cap"], refused["customers"], refused["tier"]) == (3, 3, "basic")
    assert "customer-cap-reached" in refused["type"]
    async with app.runtime.db.unit_of_work(tenant=acme.id) as session:
        assert len((await session.execute(select(Customer))).scalars().all()) == 3
    async with app.runtime.db.unit_of_work() as session:
        recorded = await session.get(CustomerCountDue, acme.id)
        assert recorded is not None and recorded.customers == 3, "the last writer's count"
        await CountAnnouncer(app.runtime.outbox).tick(app.runtime)
    async with app.runtime.db.unit_of_work() as session:
        events = await session.execute(
            select(messaging.outbox.c.data)
            .where(messaging.outbox.c.subject == "dotmac.tenant.customers.counted.v2")
            .order_by(messaging.outbox.c.id)
        )
        announced = [
            c["customers"]
            for data in events.scalars()
            for c in json.loads(data)["counts"]
            if c["isp_id"] == str(acme.id)
        ]
    assert announced and announced[-1] == 3 and set(announced) <= {1, 2, 3}


async def test_a_suspended_licence_makes_the_tenant_read_only_until_reinstated(isp, api):
    _, client = api
    acme = await isp()
    owner = acme.auth[Role.OWNER]
    assert (
        await client.post("/api/v1/customers", json={"name": "Before"}, headers=owner)
    ).status_code == 201
    key = (await acme.new_key())["key"]
    assert acme.licence is not None
    now = datetime.now(UTC)
    await acme.announce(
        LicenceSuspended(
            licence_id=acme.licence.licence_id,
            isp_id=acme.id,
            reason="invoice INV-7 is 30 days overdue",
            suspended_at=now,
        ),
        lambda g: g.status == "suspended",
    )
    reads = [
        await client.get("/api/v1/customers", headers=owner),
        await client.get("/api/v1/customers", headers=key_auth(key, **acme.host)),
        await client.get("/api/v1/users", headers=owner),
    ]
    assert [r.status_code for r in reads] == [200, 200, 200]
    writes = [
        await client.post("/api/v1/customers", json={"name": "After"}, headers=owner),
        await client.post(
            "/api/v1/customers", json={"name": "After"}, headers=key_auth(key, **acme.host)
        ),
        await client.patch(
            f"/api/v1/users/{acme.user_ids[Role.READ_ONLY]}",
            json={"status": "disabled"},
            headers=owner,
        ),
        await client.post(
            "/api/v1/api-keys", json={"name": "x", "scopes": ["customers:read"]}, headers=owner
        ),
    ]
    for refused in writes:
        assert refused.status_code == 403, refused.text
        assert "invoice INV-7 is 30 days overdue" in refused.json()["detail"]
        assert refused.json()["licence_status"] == "suspended"
    # People can still sign in to read.
    await acme.sign_in(Role.ADMIN)

    # A tier change does not lift the suspension; reinstating does.
    changed = LicenceChanged(
        **{
            **acme.licence.model_dump(exclude={"licence_id"}),
            "licence_id": uuid.uuid4(),
            "previous_tier": "basic",
            "tier": "premium",
            "issued_at": now + timedelta(seconds=1),
        }
    )
    await acme.announce(changed, lambda g: g.tier == "premium")
    still = await client.post("/api/v1/customers", json={"name": "After"}, headers=owner)
    assert still.status_code == 403
    await acme.announce(
        LicenceReinstated(licence_id=changed.licence_id, isp_id=acme.id, reinstated_at=now),
        lambda g: g.status == "active",
    )
    again = await client.post("/api/v1/customers", json={"name": "After"}, headers=owner)
    assert again.status_code == 201


async def test_a_revoked_licence_grants_nothing_and_stays_revoked(isp, api):
    _, client = api
    acme = await isp()
    assert acme.licence is not None
    licence_id, now = acme.licence.licence_id, datetime.now(UTC)
    await acme.announce(
        LicenceRevoked(
            licence_id=licence_id, isp_id=acme.id, reason="contract ended", revoked_at=now
        ),
        lambda g: g.status == "revoked",
    )
    gated = await client.get("/api/v1/customers", headers=acme.auth[Role.OWNER])
    assert gated.status_code == 403 and gated.json()["licence_status"] == "revoked"
    # A late reinstatement of the same licence does not bring it back.
    await acme.publish(LicenceReinstated(licence_id=licence_id, isp_id=acme.id, reinstated_at=now))
    await asyncio.sleep(0.3)
    assert acme.app.entitlements.grant(acme.id).status == "revoked"


async def test_disabling_or_demoting_someone_ends_their_access_tokens_now(isp, api):
    _, client = api
    acme = await isp()
    admin, read_only = acme.auth[Role.ADMIN], acme.auth[Role.READ_ONLY]
    assert (await client.get("/api/v1/users", headers=admin)).status_code == 200

    demoted = await client.patch(
        f"/api/v1/users/{acme.user_ids[Role.ADMIN]}",
        json={"role": "read_only"},
        headers=acme.auth[Role.OWNER],
    )
    assert demoted.status_code == 200
    stale = await client.post("/api/v1/customers", json={"name": "X"}, headers=admin)
    assert stale.status_code == 401, "the admin token no longer counts"
    await acme.sign_in(Role.ADMIN)
    fresh = await client.post(
        "/api/v1/customers", json={"name": "X"}, headers=acme.auth[Role.ADMIN]
    )
    assert fresh.status_code == 403 and fresh.json()["role"] == "read_only"

    disabled = await client.patch(
        f"/api/v1/users/{acme.user_ids[Role.READ_ONLY]}",
        json={"status": "disabled"},
        headers=acme.auth[Role.OWNER],
    )
    assert disabled.status_code == 200
    assert (await client.get("/api/v1/users", headers=read_only)).status_code == 401


async def test_the_tenant_is_found_by_host_header_or_credential_and_they_must_agree(isp, api):
    _, client = api
    acme, other = await isp(), await isp()
    token_only = {"Authorization": acme.auth[Role.OWNER]["Authorization"]}

    assert (await client.get("/api/v1/users", headers=token_only)).status_code == 200
    named = await client.get("/api/v1/tenant", headers={"X-Tenant-ID": str(acme.id)})
    assert named.status_code == 200 and named.json()["id"] == str(acme.id)

    clash = await client.get("/api/v1/tenant", headers={**acme.host, "X-Tenant-ID": str(other.id)})
    assert clash.status_code == 400 and clash.json()["header"] == "X-Tenant-ID"
    malformed = await client.get("/api/v1/tenant", headers={"X-Tenant-ID": "1 OR 1=1"})
    assert malformed.status_code == 400
    unknown = await client.get("/api/v1/tenant", headers={"X-Tenant-ID": str(uuid.uuid4())})
    assert unknown.status_code == 404
    nothing = await client.get("/api/v1/tenant")
    assert nothing.status_code == 404
    other_tenant = await client.get(
        "/api/v1/users", headers={**token_only, "X-Tenant-ID": str(other.id)}
    )
    assert other_tenant.status_code == 400, "the header and the token name two ISPs"
    assert other_tenant.json()["header"] == "X-Tenant-ID"
    forged = f"dmk_{acme.id.hex}_{'A' * 43}"
    assert (
        await client.get("/api/v1/customers", headers=key_auth(forged, **acme.host))
    ).status_code == 401
