"""A demo loaded where the dev stack's simulated fleet is configured: its devices reach the
network service (through their events) pointed at the fleet, with communities the fleet
answers; where it is not, they are the scenario's, as in production."""

from dataclasses import replace
from datetime import UTC, datetime
from ipaddress import ip_address

import pytest

from devstack.demo_fleet import NETWORK, communities
from tenant_api.config import DemoSnmpFleet
from tenant_api.demo import scenarios
from tenant_api.demo.endpoints import load_into

pytestmark = pytest.mark.integration
REGISTERED = "dotmac.tenant.device.registered.v1"
FLEET = DemoSnmpFleet.model_validate(
    {"network": str(NETWORK), "port": 16161, "communities": communities()}
)


async def test_a_demo_s_devices_point_at_the_fleet_with_its_communities(business_isp):
    isp = await business_isp()
    composed = isp.app.composed
    on_fleet = replace(
        composed, settings=composed.settings.model_copy(update={"demo_snmp_fleet": FLEET})
    )

    loaded = await load_into(on_fleet, isp.id, "medium", datetime.now(UTC))

    events = await isp.published(REGISTERED)
    assert len(events) == loaded.devices == 29
    addresses = set()
    for event in events:
        device = event["device"]
        assert ip_address(device["management_ip"]) in NETWORK
        assert (device["snmp"]["version"], device["snmp"]["port"]) == ("v2c", 16161)
        secrets = isp.app.sealer.unseal(device["snmp"]["sealed_secrets"])
        assert secrets["community"] in communities()[device["role"]]
        addresses.add(device["management_ip"])
    assert len(addresses) == 29
    listed = (
        await isp.client.get("/api/v1/devices", params={"limit": 100}, headers=isp.owner)
    ).json()
    assert {d["management_ip"] for d in listed["items"]} == addresses
    assert {d["snmp"]["version"] for d in listed["items"]} == {"v2c"}


async def test_without_the_fleet_a_demo_s_devices_are_the_scenario_s(business_isp):
    isp = await business_isp()
    assert isp.app.settings.demo_snmp_fleet is None

    response = await isp.client.post(
        "/api/v1/demo-data", json={"scenario": "medium"}, headers=isp.owner
    )

    assert response.status_code == 201, response.text
    expected = {d.name: d for d in scenarios.build("medium", datetime.now(UTC).date()).devices}
    events = await isp.published(REGISTERED)
    assert len(events) == len(expected)
    for event in events:
        device, demo = event["device"], expected[event["device"]["name"]]
        assert device["management_ip"] == demo.management_ip
        assert (device["snmp"]["version"], device["snmp"]["port"]) == (demo.snmp.version, 161)
        secrets = isp.app.sealer.unseal(device["snmp"]["sealed_secrets"])
        if demo.snmp.version == "v3":
            assert secrets["auth_key"] == demo.snmp.auth_key
        else:
            assert secrets == {"community": demo.snmp.community}
