"""SNMPv2c traps, sent as devices send them (pysnmp over real UDP): matched to the ISP's
device by source address and community and published through the outbox; a wrong community,
an unknown source and garbage are counted and change nothing, and the receiver carries on."""

import asyncio
import socket
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from devstack.ports import free_udp_port
from dotmac_contracts import encode_event
from dotmac_contracts.events import DeviceRegistered, DeviceTrapReceived
from network.bootstrap import bootstrap
from network.config import Settings
from network.entrypoints import poll, stream
from network.models import messaging
from servicekit.bus import connect
from servicekit.config import PlatformSettings
from servicekit.testing import running

pytestmark = pytest.mark.integration
LINK_DOWN = "1.3.6.1.6.3.1.1.5.3"
COLD_START = "1.3.6.1.6.3.1.1.5.1"


async def test_traps_are_matched_to_devices_and_everything_else_is_counted(
    migrated_database,
    nats_server,
    fleet,
    only_test_devices,
    simulated_device,
    send_trap,
):
    snmp_port, _ = fleet
    trap_port = free_udp_port()
    platform = PlatformSettings(database_url=migrated_database, nats_url=nats_server.url)
    network = bootstrap(Settings(platform=platform, poll_interval_s=5.0, trap_port=trap_port))
    isp = uuid.uuid4()
    record = simulated_device(snmp_port, "dev-07")
    device_id = record.device_id
    async with running(network.runtime, [stream.role(network), poll.role(network)]):
        await only_test_devices(network)
        nc = await connect(nats_server.url, name="traps-test")
        event = DeviceRegistered(isp_id=isp, device=record, registered_at=datetime.now(UTC))
        envelope = encode_event(
            event, event_id=str(uuid.uuid4()), source="tenant-api", time=datetime.now(UTC)
        )
        await nc.jetstream().publish(event.subject, envelope.data, headers=envelope.headers())
        await nc.close()
        async with asyncio.timeout(15):
            while device_id not in network.fleet.poller.targets:
                await asyncio.sleep(0.1)

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
            for garbage in (b"", b"\x30\x03\x02\x01", b"\x00" * 100, bytes(range(256))):
                raw.sendto(garbage, ("127.0.0.1", trap_port))
        await send_trap(trap_port, "not-its-community", LINK_DOWN, 2)
        await send_trap(trap_port, "dev-07", LINK_DOWN, 2)
        await send_trap(trap_port, "dev-07", COLD_START)

        async with asyncio.timeout(10):
            while len(recorded := await _traps(network, isp)) < 2:
                await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        recorded = await _traps(network, isp)

    assert [(t.kind, t.if_index) for t in recorded] == [("link_down", 2), ("cold_start", None)]
    assert all(t.device_id == device_id for t in recorded)
    from network.traps.receiver import TRAPS

    assert TRAPS.labels("malformed")._value.get() >= 4
    assert TRAPS.labels("unknown")._value.get() >= 1


async def _traps(network, isp: uuid.UUID) -> list[DeviceTrapReceived]:
    outbox = messaging.outbox
    async with network.runtime.db.reading() as connection:
        rows = await connection.execute(
            select(outbox.c.data)
            .where(outbox.c.subject == DeviceTrapReceived.subject, outbox.c.ce_subject == str(isp))
            .order_by(outbox.c.id)
        )
        return [DeviceTrapReceived.model_validate_json(row.data) for row in rows]
