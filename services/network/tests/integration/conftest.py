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


async def only_the_test_s_devices(network: Any, timeout_s: float = 60.0) -> None:
    """Once the network service has taken every device event the session published before it
    (its durable reads the stream from the start: other tests' devices, the demo data's),
    forget those devices, so that a test's poller reads the test's devices only."""
    import asyncio

    from sqlalchemy import text

    from servicekit.stream import durable_name

    durable = durable_name("network", "TENANT")
    async with asyncio.timeout(timeout_s):
        while True:
            try:
                info = await network.runtime.js.consumer_info("TENANT", durable)
                if not info.num_pending and not info.num_ack_pending:
                    break
            except Exception:  # the durable is being created
                pass
            await asyncio.sleep(0.1)
    async with network.runtime.db.unit_of_work() as session:
        gone = (
            await session.execute(text("DELETE FROM network.devices RETURNING device_id"))
        ).scalars()
        for device_id in gone:
            network.fleet.poller.forget(device_id)


@pytest.fixture
def only_test_devices() -> Any:
    """`await only_test_devices(network)`: see only_the_test_s_devices."""
    return only_the_test_s_devices


@pytest.fixture
def simulated_device() -> Any:
    """`simulated_device(port, community)`: the record tenant-api would publish for one of the
    fleet's devices, its community sealed with the platform's keys."""
    import uuid

    from dotmac_contracts.events.tenant import DeviceRecord, SnmpAccess
    from servicekit.config import PlatformSettings
    from servicekit.sealing import Sealer

    sealer = Sealer.from_settings(PlatformSettings().device_secrets_keys)

    def record(port: int, community: str) -> DeviceRecord:
        sealed = sealer.seal({"community": community})
        return DeviceRecord(
            device_id=uuid.uuid4(),
            name="edge",
            vendor="sim",
            model="sim",
            role="edge",
            management_ip="127.0.0.1",
            site="lab",
            snmp=SnmpAccess(version="v2c", port=port, sealed_secrets=sealed),
        )

    return record


async def _send_trap(port: int, community: str, oid: str, if_index: int | None = None) -> None:
    """An SNMPv2c trap to 127.0.0.1:`port`, as a device sends it (pysnmp, real UDP); with
    `if_index`, the ifIndex varbind link traps carry."""
    from pysnmp.hlapi.v3arch.asyncio import (
        CommunityData,
        ContextData,
        NotificationType,
        ObjectIdentity,
        ObjectType,
        SnmpEngine,
        UdpTransportTarget,
        send_notification,
    )
    from pysnmp.proto.rfc1902 import Integer

    notification = NotificationType(ObjectIdentity(oid))
    if if_index is not None:
        notification = notification.add_varbinds(
            ObjectType(ObjectIdentity(f"1.3.6.1.2.1.2.2.1.1.{if_index}"), Integer(if_index))
        )
    error, *_ = await send_notification(
        SnmpEngine(),
        CommunityData(community, mpModel=1),
        await UdpTransportTarget.create(("127.0.0.1", port)),
        ContextData(),
        "trap",
        notification,
    )
    assert error is None, error


@pytest.fixture
def send_trap() -> Any:
    """`await send_trap(port, community, trap_oid, if_index=None)`"""
    return _send_trap
