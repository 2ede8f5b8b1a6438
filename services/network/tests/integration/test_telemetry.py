"""The network service end to end, with real NATS, Postgres and simulated agents: a device
tenant-api registers (its community sealed) is polled, its readings go out as telemetry on its
ISP's own subjects with rates from its moving counters, and once removed it is polled no more."""

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from dotmac_contracts import encode_event
from dotmac_contracts.events import DeviceRegistered, DeviceRemoved
from network.bootstrap import bootstrap
from network.config import Settings
from network.entrypoints import poll, stream
from servicekit.bus import connect
from servicekit.config import PlatformSettings
from servicekit.testing import running

pytestmark = pytest.mark.integration


async def test_a_registered_device_is_polled_and_its_telemetry_goes_to_its_isp_only(
    migrated_database,
    nats_server,
    fleet,
    only_test_devices,
    simulated_device,
):
    port, _devices = fleet
    platform = PlatformSettings(database_url=migrated_database, nats_url=nats_server.url)
    network = bootstrap(Settings(platform=platform, poll_interval_s=1.0))
    isp, other_isp = uuid.uuid4(), uuid.uuid4()
    record = simulated_device(port, "dev-03")
    device_id = record.device_id
    nc = await connect(nats_server.url, name="network-test")
    mine: list[dict[str, Any]] = []
    theirs: list[bytes] = []

    async def keep_mine(message: Any) -> None:
        mine.append(json.loads(message.data))

    async def keep_theirs(message: Any) -> None:
        theirs.append(message.data)

    await nc.subscribe(f"dotmac.telemetry.device.sampled.v1.{isp}.>", cb=keep_mine)
    await nc.subscribe(f"dotmac.telemetry.device.sampled.v1.{other_isp}.>", cb=keep_theirs)
    try:
        async with running(network.runtime, [stream.role(network), poll.role(network)]):
            await only_test_devices(network)
            await _publish(nc, DeviceRegistered(isp_id=isp, device=record, registered_at=_now()))
            async with asyncio.timeout(20):
                while len(mine) < 3:
                    await asyncio.sleep(0.1)
            later = mine[-1]
            assert later["device_id"] == str(device_id)
            uplink = later["interfaces"][0]
            assert uplink["name"] == "uplink" and uplink["oper_up"] is True
            assert uplink["in_bps"] == pytest.approx(400_000_000, rel=0.25)
            assert uplink["in_utilisation"] == pytest.approx(0.4, rel=0.25)
            assert mine[0]["interfaces"][0]["in_bps"] is None  # no rate from one reading
            assert later["cpu_load_pct"] == 12.0  # HOST-RESOURCES-MIB hrProcessorLoad
            assert theirs == []

            await _publish(nc, DeviceRemoved(isp_id=isp, device_id=device_id, removed_at=_now()))
            await asyncio.sleep(1.5)  # the removal reaches the poller
            count = len(mine)
            await asyncio.sleep(2.5)
            assert len(mine) <= count + 1  # at most one reading already under way
    finally:
        await nc.close()


def _now() -> datetime:
    return datetime.now(UTC)


async def _publish(nc: Any, event: Any) -> None:
    envelope = encode_event(event, event_id=str(uuid.uuid4()), source="tenant-api", time=_now())
    await nc.jetstream().publish(event.subject, envelope.data, headers=envelope.headers())
