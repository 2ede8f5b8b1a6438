"""`GET /api/v1/auth/caller`: who a credential is, for the services a caller's request passes
through (the webhooks service sends the caller's `Authorization` and `X-Tenant-ID: <isp id>`).
Checked as every request is, so what it answers can be trusted: revoked, expired, forged and
other ISPs' credentials are refused, and a key's requests spend the ISP's API rate."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, update

from tenant_api.identity.auth.roles import Permission, Role
from tenant_api.models import Entitlement

pytestmark = pytest.mark.integration
CALLER = "/api/v1/auth/caller"


def bearer(credential: str, isp) -> dict[str, str]:
    """As the webhooks service calls: the credential, and the ISP named by id (no host)."""
    return {"Authorization": f"Bearer {credential}", "X-Tenant-ID": str(isp.id)}


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


async def new_key(isp, scopes: list[str]) -> dict:
    created = await isp.client.post(
        "/api/v1/api-keys", json={"name": "webhooks set-up", "scopes": scopes}, headers=isp.owner
    )
    assert created.status_code == 201, created.text
    return created.json()


async def change_licence(isp, **values) -> None:
    async with isp.app.runtime.db.unit_of_work() as session:
        query = update(Entitlement).where(Entitlement.tenant_id == isp.id).values(**values)
        await session.execute(query)
    await isp.app.entitlements.load(isp.app.runtime.db, str(isp.id))


async def test_an_owner_and_an_admin_are_people_with_their_roles_permissions(
    business_isp, all_plugins
):
    isp = await business_isp()
    owner = await isp.client.get(CALLER, headers=bearer(token_of(isp.owner), isp))
    assert owner.status_code == 200, owner.text
    assert owner.json() == {
        "tenant_id": str(isp.id),
        "kind": "person",
        "user_id": str(isp.user_ids[Role.OWNER]),
        "api_key_id": None,
        "role": "owner",
        "permissions": sorted(p.value for p in Permission),
        "plugins": sorted(all_plugins),
    }

    at_host = await isp.client.get(CALLER, headers=isp.as_(Role.ADMIN))  # by its host too
    assert at_host.status_code == 200, at_host.text
    admin = at_host.json()
    assert (admin["kind"], admin["role"], admin["user_id"]) == (
        "person",
        "admin",
        str(isp.user_ids[Role.ADMIN]),
    )
    assert "webhooks:manage" in admin["permissions"]
    assert admin["permissions"] == sorted(admin["permissions"])
    assert set(owner.json()["permissions"]) - set(admin["permissions"]) == {
        "owners:manage",
        "account:close",
    }
    support = (await isp.client.get(CALLER, headers=isp.as_(Role.SUPPORT))).json()
    assert "webhooks:manage" not in support["permissions"]


async def test_an_api_key_is_a_key_whose_permissions_are_its_scopes(business_isp):
    isp = await business_isp(
        tier="basic", plugins=("customer_management", "user_auth", "basic_billing")
    )
    key = await new_key(isp, ["webhooks:manage", "customers:read"])
    answer = await isp.client.get(CALLER, headers=bearer(key["key"], isp))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "tenant_id": str(isp.id),
        "kind": "api_key",
        "user_id": None,
        "api_key_id": key["id"],
        "role": None,
        "permissions": ["customers:read", "webhooks:manage"],
        "plugins": ["basic_billing", "customer_management", "user_auth"],
    }

    await change_licence(isp, status="revoked", status_reason="unpaid")
    person = await isp.client.get(CALLER, headers=isp.owner)
    assert person.status_code == 200 and person.json()["plugins"] == [], "none in force"
    async with isp.app.runtime.db.unit_of_work() as session:
        await session.execute(delete(Entitlement).where(Entitlement.tenant_id == isp.id))
    await isp.app.entitlements.load(isp.app.runtime.db, str(isp.id))
    unlicensed = await isp.client.get(CALLER, headers=isp.owner)
    assert unlicensed.status_code == 200 and unlicensed.json()["plugins"] == []


async def test_a_keys_requests_spend_the_isps_api_rate(business_isp):
    isp = await business_isp()
    await change_licence(isp, api_rate_per_minute=2)
    key = await new_key(isp, ["customers:read"])
    answers = [
        (await isp.client.get(CALLER, headers=bearer(key["key"], isp))).status_code
        for _ in range(3)
    ]
    assert answers == [200, 200, 429]


async def test_missing_invalid_expired_and_revoked_credentials_are_a_401(business_isp):
    isp = await business_isp()
    expired = isp.app.access_tokens.issue(
        user_id=isp.user_ids[Role.OWNER],
        tenant_id=isp.id,
        role=Role.OWNER,
        now=datetime.now(UTC) - timedelta(days=1),
    )
    for headers in (
        {"X-Tenant-ID": str(isp.id)},
        bearer("not-a-token", isp),
        bearer("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", isp),
        bearer(expired, isp),
        bearer(f"dmk_{isp.id.hex}_{'A' * 43}", isp),  # shaped like a key, but none
    ):
        refused = await isp.client.get(CALLER, headers=headers)
        assert refused.status_code == 401, headers
        assert refused.headers["content-type"] == "application/problem+json"

    key = await new_key(isp, ["customers:read"])
    revoked = await isp.client.delete(f"/api/v1/api-keys/{key['id']}", headers=isp.owner)
    assert revoked.status_code == 204
    assert (await isp.client.get(CALLER, headers=bearer(key["key"], isp))).status_code == 401

    support = isp.as_(Role.SUPPORT)
    assert (await isp.client.get(CALLER, headers=support)).status_code == 200
    disabled = await isp.client.patch(
        f"/api/v1/users/{isp.user_ids[Role.SUPPORT]}",
        json={"status": "disabled"},
        headers=isp.owner,
    )
    assert disabled.status_code == 200, disabled.text
    signed_out = await isp.client.get(CALLER, headers=support)
    assert signed_out.status_code == 401 and "revoked" in signed_out.json()["detail"]


async def test_another_isps_credentials_are_refused(business_isp):
    isp, other = await business_isp(), await business_isp()
    key = (await new_key(other, ["customers:read"]))["key"]
    for credential in (key, token_of(other.owner)):
        # Naming this ISP with another's credential: two ISPs named, refused before anything.
        named = await isp.client.get(CALLER, headers=bearer(credential, isp))
        assert named.status_code == 400, named.text
        at_host = await isp.client.get(
            CALLER, headers={**isp.host, "Authorization": f"Bearer {credential}"}
        )
        assert at_host.status_code == 400, at_host.text
    # Another ISP's key made to name this one: no key of this ISP.
    relabelled = key.replace(other.id.hex, isp.id.hex)
    forged = await isp.client.get(CALLER, headers=bearer(relabelled, isp))
    assert forged.status_code == 401
    assert forged.headers["content-type"] == "application/problem+json"
    # Its key alone names its own ISP, and says so: a caller compares tenant_id.
    alone = await isp.client.get(CALLER, headers={"Authorization": f"Bearer {key}"})
    assert alone.status_code == 200 and alone.json()["tenant_id"] == str(other.id)
    assert uuid.UUID(alone.json()["api_key_id"])
