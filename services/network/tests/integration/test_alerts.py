"""Alerts from real polls and real traps (snmpsim agents, Debian's snmptrap, NATS, Postgres): an
unreachable device, a hot uplink and a flapping link each become one alert, raised and cleared
as events on the bus and mailed to the ISP's contact when its licence has email notifications;
a link that flaps is one alert with a count; another ISP sees none of it."""

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from devstack.ports import free_udp_port
from devstack.snmp import Device, Interface, SnmpSim, write_fleet
from devstack.snmp import send_trap as snmptrap
from dotmac_contracts import encode_event
from dotmac_contracts.events import DeviceChanged, DeviceRegistered, IspRegistered, LicenceIssued
from dotmac_contracts.vocabulary import BillingPeriod, Region, Tier
from network.bootstrap import bootstrap
from network.config import Settings
from network.entrypoints import poll, stream
from servicekit.bus import connect
from servicekit.config import PlatformSettings
from servicekit.testing import running

pytestmark = pytest.mark.integration

HOLD_DOWN_S = 3.0
LINK_DOWN, LINK_UP = "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.6.3.1.1.5.4"


@pytest.fixture(scope="module")
def hot_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """One device whose uplink runs at 95% of its 1 Gb/s."""
    root = tmp_path_factory.mktemp("hot")
    write_fleet(
        root / "data",
        [
            Device(
                "hot-01",
                "core-1",
                (
                    Interface("uplink", speed_mbps=1000, in_bps=950_000_000, out_bps=10_000_000),
                    Interface("lan", speed_mbps=1000, in_bps=1_000_000, out_bps=1_000_000),
                ),
            )
        ],
    )
    port = free_udp_port()
    agent = SnmpSim([port], root / "data", root / "work", probe_community="hot-01")
    agent.start()
    agent.wait_ready(timeout=60)
    yield port
    agent.stop()


def registered(isp_id: uuid.UUID) -> IspRegistered:
    return IspRegistered(
        isp_id=isp_id,
        deployment_id=uuid.uuid4(),
        slug=f"isp-{isp_id.hex[:8]}",
        company_name="Alerting ISP",
        country="US",
        region=Region.US_EAST_1,
        tier=Tier.PREMIUM,
        billing_period=BillingPeriod.MONTHLY,
        domain=f"isp-{isp_id.hex[:8]}.example.net",
        primary_contact_name="Pat Owner",
        primary_contact_email=f"noc+{isp_id.hex[:12]}@example.net",
        expected_customers=100,
        payment_method="pm_card_visa",
        registered_at=_now(),
    )


def licensed(isp_id: uuid.UUID, plugins: list[str]) -> LicenceIssued:
    return LicenceIssued(
        licence_id=uuid.uuid4(),
        isp_id=isp_id,
        tier=Tier.PREMIUM,
        plugins=plugins,
        customer_cap=None,
        issued_at=_now(),
        expires_at=_now() + timedelta(days=365),
        token="test-token",
    )


async def test_alerts_are_raised_once_counted_when_they_flap_cleared_and_mailed(
    migrated_database,
    nats_server,
    fleet,
    hot_agent,
    only_test_devices,
    simulated_device,
):
    fleet_port, _ = fleet
    trap_port = free_udp_port()
    platform = PlatformSettings(
        database_url=migrated_database, nats_url=nats_server.url, smtp_port=9
    )
    network = bootstrap(
        Settings(
            platform=platform,
            poll_interval_s=1.0,
            snmp_timeout_s=0.6,
            alert_hold_down_s=HOLD_DOWN_S,
            trap_port=trap_port,
        )
    )
    isp, other_isp = uuid.uuid4(), uuid.uuid4()
    nc = await connect(nats_server.url, name="alerts-test")
    events: list[dict[str, Any]] = []

    async def keep(message: Any) -> None:
        events.append({"subject": message.subject, **json.loads(message.data)})

    await nc.subscribe("dotmac.network.alert.>", cb=keep)

    def seen(subject: str, **fields: Any) -> list[dict[str, Any]]:
        return [
            e
            for e in events
            if e["subject"] == subject and all(e.get(k) == v for k, v in fields.items())
        ]

    async def until(check: Any, timeout_s: float = 30.0) -> None:
        async with asyncio.timeout(timeout_s):
            while not check():
                await asyncio.sleep(0.1)

    raised, cleared = "dotmac.network.alert.raised.v1", "dotmac.network.alert.cleared.v1"
    # a device at a port where nothing answers; the hot device; a quiet one for the other ISP
    silent = simulated_device(free_udp_port(), "dev-01")
    hot = simulated_device(hot_agent, "hot-01")
    theirs = simulated_device(fleet_port, "dev-02")
    try:
        async with running(network.runtime, [stream.role(network), poll.role(network)]):
            await only_test_devices(network)
            await _publish(nc, registered(isp))
            await _publish(nc, licensed(isp, ["network_monitoring", "snmp_integration",
                                              "email_notifications"]))  # fmt: skip
            await _publish(nc, licensed(other_isp, ["network_monitoring", "snmp_integration"]))
            async with network.runtime.db.unit_of_work() as session:  # alert after 0 minutes hot
                from network.monitoring import repository

                await repository.keep(session, isp, utilisation_pct=90, utilisation_minutes=0)
            for device, owner in ((silent, isp), (hot, isp), (theirs, other_isp)):
                await _publish(
                    nc, DeviceRegistered(isp_id=owner, device=device, registered_at=_now())
                )

            # 1. the silent device: unreachable after 3 polls, one alert
            await until(lambda: seen(raised, device_id=str(silent.device_id)))
            [down] = seen(raised, device_id=str(silent.device_id), kind="device_unreachable")
            assert down["kind"] == "device_unreachable" and down["isp_id"] == str(isp)
            assert "has not answered 3 polls in a row" in down["summary"]

            # 2. the hot uplink (95% > 90%): utilisation_high on ifIndex 1, not on the lan
            await until(lambda: seen(raised, kind="utilisation_high"))
            [busy] = seen(raised, kind="utilisation_high")
            assert busy["device_id"] == str(hot.device_id)
            assert (busy["if_index"], busy["interface_name"]) == (1, "uplink")

            # 3. a link that flaps: down, up, down, up by traps is one alert counting 2
            await until(lambda: (hot.device_id, 1) in _interfaces_seen(network))
            for oid in (LINK_DOWN, LINK_UP, LINK_DOWN, LINK_UP):  # Debian's snmptrap
                if_index = ("1.3.6.1.2.1.2.2.1.1.2", "i", 2)
                await asyncio.to_thread(snmptrap, trap_port, "hot-01", oid, [if_index])
                await asyncio.sleep(0.3)
            await until(lambda: seen(cleared, kind="interface_down"), HOLD_DOWN_S + 15)
            flaps = seen(raised, kind="interface_down")
            assert len(flaps) == 1 and flaps[0]["if_index"] == 2
            [over] = seen(cleared, kind="interface_down")
            assert over["alert_id"] == flaps[0]["alert_id"] and over["occurrences"] == 2

            # 4. the silent device answers again (moved to a live agent): cleared after hold-down
            moved = silent.model_copy(update={"snmp": simulated_device(fleet_port, "dev-01").snmp})
            await _publish(nc, DeviceChanged(isp_id=isp, device=moved, changed_at=_now()))
            await until(lambda: seen(cleared, device_id=str(silent.device_id)), HOLD_DOWN_S + 20)
            [back] = seen(cleared, device_id=str(silent.device_id))
            assert back["alert_id"] == down["alert_id"] and back["occurrences"] == 1

            # every alert is its device's ISP's, and the other ISP's device alerted nobody else.
            # Only this test's ISPs and devices count: an alert an earlier test's poller raised
            # (its device forgotten since) can still be in the outbox and be relayed now.
            owners = {str(d.device_id): str(o) for d, o in ((silent, isp), (hot, isp))}
            owners[str(theirs.device_id)] = str(other_isp)
            ours = [e for e in events if e["device_id"] in owners or e["isp_id"] in owners.values()]
            assert all(e["isp_id"] == owners.get(e["device_id"]) for e in ours)
            # and no alert was raised twice
            ids = [e["alert_id"] for e in ours if e["subject"] == raised]
            assert len(ids) == len(set(ids))
    finally:
        await nc.close()

    engine = create_async_engine(migrated_database)
    try:
        async with engine.connect() as connection:
            mail = (
                await connection.execute(
                    text(
                        "SELECT subject FROM network.mail_outbox WHERE to_address = :to ORDER BY id"
                    ),
                    {"to": f"noc+{isp.hex[:12]}@example.net"},
                )
            ).scalars()
            subjects = list(mail)
            rows = (
                await connection.execute(
                    text(
                        "SELECT kind, occurrences, cleared_at IS NOT NULL AS cleared "
                        "FROM network.alerts WHERE tenant_id = :isp ORDER BY raised_at"
                    ),
                    {"isp": isp},
                )
            ).all()
    finally:
        await engine.dispose()
    assert any(s.startswith("Alert:") and "has not answered" in s for s in subjects)
    assert any(s.startswith("Cleared:") and "has not answered" in s for s in subjects)
    assert sum(s.startswith("Alert:") and "is down" in s for s in subjects) == 1  # not 2
    kinds = {(r.kind, r.occurrences, r.cleared) for r in rows}
    assert ("device_unreachable", 1, True) in kinds
    assert ("interface_down", 2, True) in kinds


def _interfaces_seen(network: Any) -> set[tuple[uuid.UUID, int]]:
    return set(network.fleet.watch._names)


def _now() -> datetime:
    return datetime.now(UTC)


async def _publish(nc: Any, event: Any) -> None:
    envelope = encode_event(event, event_id=str(uuid.uuid4()), source="test", time=_now())
    await nc.jetstream().publish(event.subject, envelope.data, headers=envelope.headers())
