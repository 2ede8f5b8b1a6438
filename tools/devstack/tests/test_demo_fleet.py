"""The demo fleet `make up` starts: every simulated device of its catalogue answers its
community, on every address of the fleet's network, with traffic counters that move."""

import asyncio

import aiosnmp
import pytest

from devstack.demo_fleet import CATALOGUE, NETWORK, DemoFleet, devices, loopback_network_usable
from devstack.ports import free_udp_port

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not loopback_network_usable(), reason="no loopback addresses past 127.0.0.1 here"
    ),
]

IF_HC_IN_OCTETS = ".1.3.6.1.2.1.31.1.1.1.6"
SYS_DESCR = ".1.3.6.1.2.1.1.1.0"


async def read(host: str, port: int, community: str) -> tuple[str, dict[str, int]]:
    async with aiosnmp.Snmp(host=host, port=port, community=community, timeout=2) as snmp:
        [descr] = await snmp.get(SYS_DESCR)
        octets = {r.oid: r.value for r in await snmp.bulk_walk(IF_HC_IN_OCTETS)}
    return descr.value.decode(), octets


async def test_every_simulated_device_answers_on_the_fleet_s_addresses_and_its_counters_move(
    tmp_path,
):
    fleet = DemoFleet(free_udp_port(), tmp_path / "fleet", tmp_path / "demo-fleet.log")
    catalogue = devices()
    hosts = list(NETWORK.hosts())
    # Each device on another address, the last address too: the agent listens on all of them.
    where = {d.community: str(hosts[-1 - i * 7]) for i, d in enumerate(catalogue)}
    assert set(fleet.settings()) == {"TENANT_API_DEMO_SNMP_FLEET"}
    assert {role for role in CATALOGUE} >= {"router", "firewall", "switch", "olt", "access_point"}
    fleet.start()
    try:
        fleet.wait_ready(timeout=120)  # may install snmpsim first
        first = {
            d.community: await read(where[d.community], fleet.port, d.community) for d in catalogue
        }
        await asyncio.sleep(1.5)
        second = {
            d.community: await read(where[d.community], fleet.port, d.community) for d in catalogue
        }
    finally:
        fleet.stop()

    for device in catalogue:
        descr, before = first[device.community]
        _, after = second[device.community]
        assert descr == device.descr
        assert len(before) == len(device.interfaces), device.community
        assert sum(after.values()) > sum(before.values()), f"{device.community} did not move"
    assert not fleet.is_running()
