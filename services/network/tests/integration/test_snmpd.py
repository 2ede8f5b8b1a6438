"""Against Debian's real snmpd (started unprivileged on a free UDP port): a reading over v2c
and over v3 authPriv (pysnmp) gives the machine's interfaces and its memory in use from
HOST-RESOURCES-MIB; a wrong key or community is unreachable, not a crash; and a v3 device
tenant-api registers, its keys sealed, is polled by the network service end to end."""

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from devstack.ports import free_udp_port
from devstack.snmp import Snmpd, SnmpV3User
from dotmac_contracts import encode_event
from dotmac_contracts.events import DeviceRegistered
from dotmac_contracts.events.tenant import DeviceRecord, SnmpAccess
from network.bootstrap import bootstrap
from network.config import Settings
from network.entrypoints import poll, stream
from network.polling.snmp import Community, Unreachable, User, read_device
from servicekit.bus import connect
from servicekit.config import PlatformSettings
from servicekit.sealing import Sealer
from servicekit.testing import running

pytestmark = pytest.mark.integration

COMMUNITY = "network-test-ro"
V3 = SnmpV3User("nms-poller", auth_key="auth-key-for-tests", privacy_key="priv-key-for-tests")


@pytest.fixture(scope="module")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snmpd]:
    agent = Snmpd(free_udp_port(), tmp_path_factory.mktemp("snmpd"), community=COMMUNITY, user=V3)
    agent.start()
    try:
        agent.wait_ready(timeout=60)
        yield agent
    finally:
        agent.stop()


def user(**changes: Any) -> User:
    fields = {
        "username": V3.username,
        "auth_protocol": V3.auth_protocol,
        "auth_key": V3.auth_key,
        "privacy_protocol": V3.privacy_protocol,
        "privacy_key": V3.privacy_key,
    }
    return User(**{**fields, **changes})


async def test_v2c_and_v3_readings_of_a_real_agent_agree(snmpd):
    v2c = await read_device("127.0.0.1", snmpd.udp_port, Community(COMMUNITY), timeout_s=2.0)
    v3 = await read_device("127.0.0.1", snmpd.udp_port, user(), timeout_s=2.0)
    for reading in (v2c, v3):
        names = {i.name for i in reading.interfaces.values()}
        assert "lo" in names
        lo = next(i for i in reading.interfaces.values() if i.name == "lo")
        assert lo.octets_in is not None and lo.octets_in.bits == 64  # ifXTable's counters
        assert lo.oper_up is True
        assert reading.memory_used_pct is not None and 0 < reading.memory_used_pct <= 100
        assert reading.uptime_ticks > 0
    assert set(v2c.interfaces) == set(v3.interfaces)

    for wrong in (user(auth_key="not-the-auth-key"), user(username="nobody")):
        with pytest.raises(Unreachable):
            await read_device("127.0.0.1", snmpd.udp_port, wrong, timeout_s=0.5, retries=0)
    with pytest.raises(Unreachable):
        await read_device("127.0.0.1", snmpd.udp_port, Community("guess"), timeout_s=0.5, retries=0)


async def test_a_v3_device_is_polled_end_to_end(
    snmpd, migrated_database, nats_server, only_test_devices
):
    platform = PlatformSettings(database_url=migrated_database, nats_url=nats_server.url)
    network = bootstrap(Settings(platform=platform, poll_interval_s=1.0, trap_port=0))
    sealer = Sealer.from_settings(platform.device_secrets_keys)
    isp = uuid.uuid4()
    record = DeviceRecord(
        device_id=uuid.uuid4(),
        name="real-agent",
        vendor="net-snmp",
        model="snmpd",
        role="router",
        management_ip="127.0.0.1",
        site="lab",
        snmp=SnmpAccess(
            version="v3",
            port=snmpd.udp_port,
            username=V3.username,
            auth_protocol=V3.auth_protocol,
            privacy_protocol=V3.privacy_protocol,
            sealed_secrets=sealer.seal({"auth_key": V3.auth_key, "privacy_key": V3.privacy_key}),
        ),
    )
    nc = await connect(nats_server.url, name="snmpd-test")
    samples: list[dict[str, Any]] = []

    async def keep(message: Any) -> None:
        samples.append(json.loads(message.data))

    await nc.subscribe(f"dotmac.telemetry.device.sampled.v1.{isp}.>", cb=keep)
    try:
        async with running(network.runtime, [stream.role(network), poll.role(network)]):
            await only_test_devices(network)
            now = datetime.now(UTC)
            event = DeviceRegistered(isp_id=isp, device=record, registered_at=now)
            envelope = encode_event(event, event_id=str(uuid.uuid4()), source="t", time=now)
            await nc.jetstream().publish(event.subject, envelope.data, headers=envelope.headers())
            async with asyncio.timeout(20):
                while len(samples) < 2:
                    await asyncio.sleep(0.1)
    finally:
        await nc.close()
    latest = samples[-1]
    assert latest["device_id"] == str(record.device_id)
    assert any(i["name"] == "lo" for i in latest["interfaces"])
    assert latest["memory_used_pct"] is not None
