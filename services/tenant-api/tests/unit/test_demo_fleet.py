"""Demo devices pointed at the dev stack's simulated fleet (`Settings.demo_snmp_fleet`): each
gets an address of the fleet's network, its port and, over v2c, the community of a simulated
device of its role; without the setting they are the scenario's, as in production."""

from collections import Counter
from datetime import date
from ipaddress import IPv4Address, ip_address

import pytest

from devstack.demo_fleet import NETWORK, DemoFleet, communities
from tenant_api.config import DemoSnmpFleet, Settings
from tenant_api.demo.loader import device_specs
from tenant_api.demo.scenarios import SCENARIOS, build
from tenant_api.devices.schemas import SnmpCommunity, SnmpUser

ANCHOR = date(2025, 6, 15)
FLEET = DemoSnmpFleet.model_validate(
    {"network": str(NETWORK), "port": 16161, "communities": communities()}
)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_device_answers_from_the_fleet_at_an_address_of_its_own(scenario):
    devices = build(scenario, ANCHOR).devices
    specs = device_specs(devices, FLEET)

    assert [s.name for s in specs] == [d.name for d in devices]
    addresses = [s.management_ip for s in specs]
    assert len(set(addresses)) == len(addresses), "an ISP's devices need distinct addresses"
    assert all(address in FLEET.network for address in addresses)
    assert addresses[0] == IPv4Address("127.0.0.1")
    for spec in specs:
        assert isinstance(spec.snmp, SnmpCommunity)
        assert (spec.snmp.version, spec.snmp.port) == ("v2c", 16161)
        assert spec.snmp.community in FLEET.communities[spec.role.value]


def test_a_role_s_devices_take_its_simulated_devices_in_turn_and_v3_becomes_v2c():
    devices = build("medium", ANCHOR).devices
    assert {d.snmp.version for d in devices if d.role == "router"} == {"v3"}
    routers = [s for s in device_specs(devices, FLEET) if s.role == "router"]

    used = [s.snmp.community for s in routers if isinstance(s.snmp, SnmpCommunity)]
    assert used == ["demo-router-1", "demo-router-2", "demo-router-3", "demo-router-1"]
    assert device_specs(devices, FLEET) == device_specs(devices, FLEET), "deterministic"
    aps = Counter(
        s.snmp.community
        for s in device_specs(devices, FLEET)
        if s.role == "access_point" and isinstance(s.snmp, SnmpCommunity)
    )
    assert set(aps) == set(FLEET.communities["access_point"])


def test_without_the_fleet_devices_are_the_scenario_s():
    devices = build("medium", ANCHOR).devices
    specs = device_specs(devices, None)

    assert [s.management_ip for s in specs] == [ip_address(d.management_ip) for d in devices]
    for spec, device in zip(specs, devices, strict=True):
        assert spec.snmp.version == device.snmp.version
        if isinstance(spec.snmp, SnmpUser):
            assert spec.snmp.auth_key == device.snmp.auth_key
        else:
            assert spec.snmp.community == device.snmp.community
            assert spec.snmp.port == 161


def test_a_role_the_fleet_lacks_and_devices_past_its_addresses_keep_the_scenario_s():
    devices = build("small", ANCHOR).devices
    small = DemoSnmpFleet.model_validate(
        {"network": "127.0.0.0/30", "port": 16161, "communities": {"access_point": ["ap-1"]}}
    )
    specs = device_specs(devices, small)

    on_fleet = [s for s in specs if s.management_ip in small.network]
    assert [s.role.value for s in on_fleet] == ["access_point", "access_point"]
    assert all(s.snmp.version == "v2c" and s.snmp.port == 161 for s in specs[:5])
    assert str(specs[0].management_ip).startswith("10.20.")


def test_the_dev_stack_s_setting_is_what_tenant_api_reads(monkeypatch, tmp_path):
    fleet = DemoFleet(1161, tmp_path, tmp_path / "fleet.log")
    for name, value in fleet.settings().items():
        monkeypatch.setenv(name, value)

    settings = Settings()

    assert settings.demo_snmp_fleet == DemoSnmpFleet(
        network=NETWORK,
        port=1161,
        communities={role: tuple(names) for role, names in communities().items()},
    )
    assert set(settings.demo_snmp_fleet.communities) >= {
        d.role for scenario in SCENARIOS for d in build(scenario, ANCHOR).devices
    }, "every role the scenarios use is simulated"


def test_tenant_api_has_no_fleet_unless_told(monkeypatch):
    monkeypatch.delenv("TENANT_API_DEMO_SNMP_FLEET", raising=False)
    assert Settings().demo_snmp_fleet is None
