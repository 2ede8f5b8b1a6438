"""Network devices on real Postgres: SNMP secrets are sealed at rest and on the bus and never
answered back; every change is published once for the network service."""

import json

import pytest
from sqlalchemy import select

from servicekit.sealing import CannotUnseal, Sealer
from tenant_api.identity.auth.roles import Role
from tenant_api.models import Device

pytestmark = pytest.mark.integration

ROUTER = {
    "name": "core-rtr-01",
    "vendor": "MikroTik",
    "model": "CCR2004-16G-2S+",
    "role": "router",
    "management_ip": "10.20.0.1",
    "site": "Springfield POP",
    "snmp": {"version": "v2c", "community": "s3cret-community"},
}
V3 = {
    "version": "v3",
    "username": "noc",
    "auth_protocol": "SHA-256",
    "auth_key": "auth-key-0001",
    "privacy_protocol": "AES",
    "privacy_key": "priv-key-0001",
}


async def published(isp, subject_suffix: str) -> list[dict]:
    return await isp.published(f"dotmac.tenant.device.{subject_suffix}.v1")


async def test_snmp_secrets_are_sealed_never_shown_and_published_sealed(business_isp):
    isp = await business_isp()
    created = await isp.client.post("/api/v1/devices", json=ROUTER, headers=isp.owner)
    assert created.status_code == 201, created.text
    device = created.json()
    assert device["snmp"] == {
        "version": "v2c",
        "port": 161,
        "username": None,
        "auth_protocol": None,
        "privacy_protocol": None,
        "secrets_stored": True,
    }
    path = f"/api/v1/devices/{device['id']}"
    for response in (
        created,
        await isp.client.get(path, headers=isp.as_(Role.READ_ONLY)),
        await isp.client.get("/api/v1/devices", headers=isp.owner),
        await isp.client.get("/api/v1/devices", headers={**isp.owner, "Accept": "text/csv"}),
    ):
        assert response.status_code == 200 or response.status_code == 201
        assert "s3cret-community" not in response.text

    sealer: Sealer = isp.app.sealer
    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        stored = (await session.execute(select(Device))).scalars().one()
    assert "s3cret" not in stored.snmp_secrets
    assert sealer.unseal(stored.snmp_secrets) == {"community": "s3cret-community"}
    with pytest.raises(CannotUnseal):
        Sealer(Sealer.new_key()).unseal(stored.snmp_secrets)

    (registered,) = await published(isp, "registered")
    assert registered["device"]["management_ip"] == "10.20.0.1"
    assert "s3cret" not in json.dumps(registered)
    assert sealer.unseal(registered["device"]["snmp"]["sealed_secrets"]) == {
        "community": "s3cret-community"
    }

    moved = await isp.client.patch(
        path, json={"snmp": V3, "site": "Shelbyville POP"}, headers=isp.owner
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["snmp"]["username"] == "noc" and "auth-key" not in moved.text
    same = await isp.client.patch(path, json={"site": "Shelbyville POP"}, headers=isp.owner)
    assert same.status_code == 200
    (changed,) = await published(isp, "changed")
    assert sealer.unseal(changed["device"]["snmp"]["sealed_secrets"]) == {
        "auth_key": "auth-key-0001",
        "privacy_key": "priv-key-0001",
    }
    assert changed["device"]["site"] == "Shelbyville POP"

    assert (await isp.client.delete(path, headers=isp.owner)).status_code == 204
    assert (await isp.client.delete(path, headers=isp.owner)).status_code == 404
    assert [r["device_id"] for r in await published(isp, "removed")] == [device["id"]]


async def test_rotated_keys_still_unseal_what_the_old_key_sealed():
    old, new = Sealer.new_key(), Sealer.new_key()
    sealed = Sealer(old).seal({"community": "c"})
    rotated = Sealer(f"{new},{old}")
    assert rotated.unseal(sealed) == {"community": "c"}
    assert Sealer(new).unseal(rotated.reseal(sealed)) == {"community": "c"}


async def test_one_device_per_address_and_the_inventory_filters(business_isp):
    isp = await business_isp()
    for n, site in ((1, "North POP"), (2, "North POP"), (3, "South POP")):
        body = {**ROUTER, "name": f"sw-{n}", "management_ip": f"10.0.0.{n}", "site": site}
        assert (await isp.client.post("/api/v1/devices", json=body, headers=isp.owner)).is_success
    clash = await isp.client.post(
        "/api/v1/devices", json={**ROUTER, "management_ip": "10.0.0.2"}, headers=isp.owner
    )
    assert clash.status_code == 409
    north = (
        await isp.client.get("/api/v1/devices", params={"site": "North POP"}, headers=isp.owner)
    ).json()
    assert [d["name"] for d in north["items"]] == ["sw-1", "sw-2"]
    by_ip = (
        await isp.client.get("/api/v1/devices", params={"q": "10.0.0.3"}, headers=isp.owner)
    ).json()
    assert [d["name"] for d in by_ip["items"]] == ["sw-3"]


@pytest.mark.parametrize(
    "change",
    [
        {"management_ip": "10.0.0.256"},
        {"management_ip": "router.example"},
        {"snmp": {"version": "v2c", "community": ""}},
        {"snmp": {"version": "v2c", "community": "has space"}},
        {"snmp": {"version": "v4", "community": "x"}},
        {"snmp": {**V3, "auth_key": "short"}},
        {"snmp": {**V3, "privacy_key": None}},
        {"snmp": {**V3, "auth_protocol": "ROT13"}},
        {"snmp": {"version": "v2c", "community": "x", "port": 70000}},
        {"role": "toaster"},
        {"name": ""},
        {"secrets": "x"},
    ],
)
async def test_bad_devices_are_422_and_change_nothing(business_isp, change):
    isp = await business_isp()
    response = await isp.client.post(
        "/api/v1/devices", json={**ROUTER, **change}, headers=isp.owner
    )
    assert response.status_code == 422, response.text
    assert await published(isp, "registered") == []


async def test_devices_need_network_monitoring_and_network_permissions(business_isp):
    basic = await business_isp(tier="basic", plugins=("customer_management", "user_auth"))
    refused = await basic.client.get("/api/v1/devices", headers=basic.owner)
    assert refused.status_code == 403 and refused.json()["plugin"] == "network_monitoring"
    isp = await business_isp()
    support = await isp.client.post("/api/v1/devices", json=ROUTER, headers=isp.as_(Role.SUPPORT))
    assert support.status_code == 403 and support.json()["permission"] == "network:write"
