"""A simulated fleet (snmpsim on a free UDP port) for the network service's tests."""

from collections.abc import Iterator
from typing import Any

import pytest

from devstack.ports import free_udp_port
from devstack.snmp import Device, Interface, SnmpSim, write_fleet

DEVICES = 20


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, list[Any]]]:
    root = tmp_path_factory.mktemp("fleet")
    devices = [
        Device(
            f"dev-{n:02d}",
            f"router-{n:02d}",
            (
                Interface("uplink", speed_mbps=1000, in_bps=400_000_000, out_bps=100_000_000),
                Interface("customer", speed_mbps=100, in_bps=10_000_000, out_bps=2_000_000),
            ),
        )
        for n in range(DEVICES)
    ]
    write_fleet(root / "data", devices)
    port = free_udp_port()
    agents = SnmpSim([port], root / "data", root / "work", probe_community="dev-00")
    agents.start()
    agents.wait_ready(timeout=60)
    yield port, devices
    agents.stop()
