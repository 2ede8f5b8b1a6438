"""Simulated SNMP agents (snmpsim, as an unprivileged user when root): a device answers its
own community with IF-MIB counters that move between polls, read here with aiosnmp (the
network service's client); another community gets no answer."""

import asyncio

import aiosnmp
import pytest

from devstack.ports import free_udp_port
from devstack.snmp import Device, Interface, SnmpSim, device_records, write_fleet

pytestmark = pytest.mark.integration

IF_HC_IN_OCTETS = ".1.3.6.1.2.1.31.1.1.1.6"
IF_HIGH_SPEED = ".1.3.6.1.2.1.31.1.1.1.15"
IF_OPER_STATUS = ".1.3.6.1.2.1.2.2.1.8"


def test_a_device_file_is_sorted_and_names_every_interface():
    records = device_records(
        Device("core-1", "core-1", (Interface("ge-0/0/1"), Interface("ge-0/0/2", up=False)))
    ).splitlines()
    oids = [tuple(int(p) for p in line.split("|")[0].split(".")) for line in records]
    assert oids == sorted(oids)
    assert "1.3.6.1.2.1.2.2.1.8.2|2|2" in records  # the second interface is down
    assert "1.3.6.1.2.1.31.1.1.1.6.1|70:numeric|rate=25000000,initial=0" in records


async def test_counters_move_between_polls_and_only_the_device_s_community_answers(tmp_path):
    fleet = [
        Device("edge-7", "edge-7", (Interface("xe-0/0/0", speed_mbps=10000), Interface("lo0"))),
        Device("access-3", "access-3", (Interface("eth0", speed_mbps=100, up=False),)),
    ]
    write_fleet(tmp_path / "data", fleet)
    port = free_udp_port()
    agents = SnmpSim([port], tmp_path / "data", tmp_path / "work", probe_community="edge-7")
    agents.start()
    try:
        agents.wait_ready(timeout=60)
        async with aiosnmp.Snmp(host="127.0.0.1", port=port, community="edge-7", timeout=2) as snmp:
            first = {r.oid: r.value for r in await snmp.bulk_walk(IF_HC_IN_OCTETS)}
            await asyncio.sleep(1.2)
            second = {r.oid: r.value for r in await snmp.bulk_walk(IF_HC_IN_OCTETS)}
            speeds = [r.value for r in await snmp.bulk_walk(IF_HIGH_SPEED)]
        assert len(first) == 2
        grew = {oid: second[oid] - first[oid] for oid in first}
        assert all(delta > 0 for delta in grew.values())
        assert speeds == [10000, 1000]

        async with aiosnmp.Snmp(
            host="127.0.0.1", port=port, community="access-3", timeout=2
        ) as snmp:
            [status] = await snmp.bulk_walk(IF_OPER_STATUS)
        assert status.value == 2  # down

        async with aiosnmp.Snmp(
            host="127.0.0.1", port=port, community="not-a-device", timeout=1, retries=0
        ) as snmp:
            with pytest.raises(aiosnmp.exceptions.SnmpTimeoutError):
                await snmp.get(".1.3.6.1.2.1.1.3.0")
    finally:
        agents.stop()
