"""Leaving, on real Postgres: the owner cancels (once, however often asked) and may retract
within the grace period; the data export holds every record of the ISP and none of its
secrets, and only its owner can download it."""

import io
import json
import uuid
import zipfile

import pytest

from tenant_api.identity.auth.roles import Role

pytestmark = pytest.mark.integration


async def published(isp, subject):
    return await isp.published(subject)


async def test_the_owner_cancels_once_and_may_retract_it(business_isp):
    isp = await business_isp()
    for role in (Role.ADMIN, Role.BILLING, Role.SUPPORT, Role.READ_ONLY):
        refused = await isp.client.post(
            "/api/v1/tenant/cancellation", json={}, headers=isp.as_(role)
        )
        assert refused.status_code == 403, role
    first = await isp.client.post(
        "/api/v1/tenant/cancellation", json={"reason": "Merging"}, headers=isp.owner
    )
    again = await isp.client.post("/api/v1/tenant/cancellation", json={}, headers=isp.owner)
    assert (first.status_code, again.status_code) == (202, 202)
    assert first.json()["requested_at"] == again.json()["requested_at"]
    [requested] = await published(isp, "dotmac.tenant.cancellation.requested.v1")
    assert requested["reason"] == "Merging"
    assert requested["requested_by"] == f"user:{isp.user_ids[Role.OWNER]}"

    retracted = await isp.client.delete("/api/v1/tenant/cancellation", headers=isp.owner)
    assert retracted.status_code == 204
    assert len(await published(isp, "dotmac.tenant.cancellation.retracted.v1")) == 1
    nothing = await isp.client.delete("/api/v1/tenant/cancellation", headers=isp.owner)
    assert nothing.status_code == 409
    hostile = await isp.client.post(
        "/api/v1/tenant/cancellation", json={"reason": "x" * 501}, headers=isp.owner
    )
    assert hostile.status_code == 422
    assert len(await published(isp, "dotmac.tenant.cancellation.requested.v1")) == 1


async def test_the_export_holds_every_record_and_no_secret_and_only_the_owner_gets_it(
    business_isp, business_token
):
    isp, other = await business_isp(), await business_isp()
    customer = await isp.client.post(
        "/api/v1/customers", json={"name": "Ann Lee", "email": "ann@example.net"}, headers=isp.owner
    )
    assert customer.status_code == 201
    device = await isp.client.post(
        "/api/v1/devices",
        json={
            "name": "core-rtr-01",
            "vendor": "MikroTik",
            "model": "CCR2004",
            "management_ip": "10.20.0.1",
            "site": "POP",
            "snmp": {"version": "v2c", "community": "very-secret-community"},
        },
        headers=isp.owner,
    )
    assert device.status_code == 201, device.text
    internal = {"Authorization": f"Bearer {business_token}"}
    made = await isp.client.post(f"/internal/v1/tenants/{isp.id}/exports", headers=internal)
    assert made.status_code == 201, made.text
    export = made.json()

    download = await isp.client.get(export["download_path"], headers=isp.owner)
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["isp_id"] == str(isp.id)
    assert manifest["counts"]["customers"] == 1 and manifest["counts"]["devices"] == 1
    assert manifest["counts"]["users"] == len(Role)
    [row] = [json.loads(line) for line in archive.read("customers.jsonl").splitlines()]
    assert (row["name"], row["email"]) == ("Ann Lee", "ann@example.net")
    everything = b"".join(archive.read(name) for name in archive.namelist())
    for secret in (b"very-secret-community", b"password_hash", b"snmp_secrets", b"key_hash"):
        assert secret not in everything
    assert "api_keys.jsonl" not in archive.namelist()

    for role in (Role.ADMIN, Role.READ_ONLY):
        assert (
            await isp.client.get(export["download_path"], headers=isp.as_(role))
        ).status_code == 403
    # Another ISP's owner, at their own host: as if it did not exist.
    assert (await other.client.get(export["download_path"], headers=other.owner)).status_code == 404
    unknown = await isp.client.get(f"/api/v1/tenant/exports/{uuid.uuid4()}", headers=isp.owner)
    assert unknown.status_code == 404
    malformed = await isp.client.get("/api/v1/tenant/exports/not-an-id", headers=isp.owner)
    assert malformed.status_code == 422
    for route in ("exports", "demo-data"):  # internal routes that name a tenant: it must exist
        missing = uuid.uuid4()
        no_tenant = await isp.client.post(
            f"/internal/v1/tenants/{missing}/{route}", json={"scenario": "small"}, headers=internal
        )
        assert no_tenant.status_code == 404, route
        assert no_tenant.json()["detail"] == f"No tenant {missing}.", route


async def test_the_owner_sees_the_pending_cancellation(business_isp):
    isp = await business_isp()
    none = await isp.client.get("/api/v1/tenant/cancellation", headers=isp.owner)
    assert none.status_code == 404
    assert none.headers["content-type"] == "application/problem+json"
    asked = await isp.client.post("/api/v1/tenant/cancellation", json={}, headers=isp.owner)
    pending = await isp.client.get("/api/v1/tenant/cancellation", headers=isp.owner)
    assert pending.status_code == 200
    assert pending.json()["requested_at"] == asked.json()["requested_at"]
    refused = await isp.client.get("/api/v1/tenant/cancellation", headers=isp.as_(Role.ADMIN))
    assert refused.status_code == 403


async def test_the_owner_exports_the_data_at_any_time_once_however_often_asked(business_isp):
    isp, other = await business_isp(), await business_isp()
    await isp.client.post("/api/v1/customers", json={"name": "Bo Kim"}, headers=isp.owner)
    assert (await isp.client.get("/api/v1/tenant/exports", headers=isp.owner)).json() == {
        "exports": []
    }
    first = await isp.client.post("/api/v1/tenant/exports", headers=isp.owner)
    assert first.status_code == 201, first.text
    again = await isp.client.post("/api/v1/tenant/exports", headers=isp.owner)
    assert again.status_code == 200  # the archive just made, not a second one
    assert again.json() == first.json()
    listed = (await isp.client.get("/api/v1/tenant/exports", headers=isp.owner)).json()
    assert [e["export_id"] for e in listed["exports"]] == [first.json()["export_id"]]
    archive = await isp.client.get(first.json()["download_path"], headers=isp.owner)
    counts = json.loads(zipfile.ZipFile(io.BytesIO(archive.content)).read("manifest.json"))
    assert counts["counts"]["customers"] == 1

    for role in (Role.ADMIN, Role.BILLING, Role.READ_ONLY):
        made = await isp.client.post("/api/v1/tenant/exports", headers=isp.as_(role))
        listing = await isp.client.get("/api/v1/tenant/exports", headers=isp.as_(role))
        assert (made.status_code, listing.status_code) == (403, 403), role
    # another ISP's owner sees only its own (none)
    assert (await other.client.get("/api/v1/tenant/exports", headers=other.owner)).json() == {
        "exports": []
    }
