"""A device's interface history, from the rollups the poller keeps: for the ISP's own people,
with the real ISP framework saying who they are; another ISP's people find nothing, a tier
without network monitoring is refused, nonsense ranges are 422."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from dotmac_contracts import encode_event
from dotmac_contracts.events import DeviceRegistered
from network.bootstrap import bootstrap
from network.config import Settings
from network.entrypoints import api, poll, stream
from servicekit.bus import connect
from servicekit.config import PlatformSettings
from servicekit.signins import SignIns
from servicekit.testing import running

pytestmark = pytest.mark.integration


def auth(headers: dict[str, str]) -> dict[str, str]:
    return {"Authorization": headers["Authorization"]}


async def test_an_isp_reads_its_device_s_history_and_nobody_else_does(
    migrated_database,
    nats_server,
    fleet,
    start_tenant_api,
    business_token,
    isp_on,
    only_test_devices,
    simulated_device,
):
    port, _ = fleet
    platform = PlatformSettings(database_url=migrated_database, nats_url=nats_server.url)
    network = bootstrap(Settings(platform=platform, poll_interval_s=1.0))
    async with start_tenant_api(internal_token=business_token, smtp_port=9) as (app, client):
        a, b = await isp_on(app, client), await isp_on(app, client)
        basic = await isp_on(app, client, plugins=("customer_management",))
        network.sign_ins = SignIns("http://tenant-api", transport=client._transport)
        record = simulated_device(port, "dev-05")
        device_id = record.device_id
        roles = [api.role(network), stream.role(network), poll.role(network)]
        async with (
            running(network.runtime, roles) as served,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=served), base_url="http://network"
            ) as http,
        ):
            await only_test_devices(network)
            nc = await connect(nats_server.url, name="history-test")
            event = DeviceRegistered(isp_id=a.id, device=record, registered_at=datetime.now(UTC))
            envelope = encode_event(
                event, event_id=str(uuid.uuid4()), source="tenant-api", time=datetime.now(UTC)
            )
            await nc.jetstream().publish(event.subject, envelope.data, headers=envelope.headers())
            await nc.close()
            path = f"/api/v1/network/isp/{a.id}/devices/{device_id}/history"
            async with asyncio.timeout(20):
                while True:
                    answer = await http.get(path, headers=auth(a.owner))
                    assert answer.status_code in (200, 404), answer.text  # 404: not heard of yet
                    interfaces = answer.json().get("interfaces")
                    if interfaces and sum(p["samples"] for p in interfaces[0]["points"]) >= 3:
                        break
                    await asyncio.sleep(0.5)

            uplink = interfaces[0]
            assert uplink["name"] == "uplink"
            point = uplink["points"][-1]
            assert point["in_bps_avg"] == pytest.approx(400_000_000, rel=0.25)
            assert point["in_bps_max"] >= point["in_bps_avg"]
            hourly = await http.get(f"{path}?resolution=3600", headers=auth(a.owner))
            assert hourly.json()["interfaces"][0]["points"][0]["samples"] >= 3

            assert (await http.get(path, headers=auth(b.owner))).status_code == 401
            theirs = f"/api/v1/network/isp/{b.id}/devices/{device_id}/history"
            assert (await http.get(theirs, headers=auth(b.owner))).status_code == 404
            no_plugin = f"/api/v1/network/isp/{basic.id}/devices/{device_id}/history"
            refused = await http.get(no_plugin, headers=auth(basic.owner))
            assert refused.status_code == 403 and "network_monitoring" in refused.text
            assert (await http.get(path)).status_code == 401

            now = datetime.now(UTC)
            for params in (
                {"since": now.isoformat(), "until": (now - timedelta(hours=1)).isoformat()},
                {"resolution": "60"},
                {"since": (now - timedelta(days=30)).isoformat()},
                {"since": "2026-12-01T00:00:00"},
                {"since": "yesterday"},
            ):
                bad = await http.get(path, params=params, headers=auth(a.owner))
                assert bad.status_code == 422, (params, bad.text)
                assert bad.headers["content-type"] == "application/problem+json"
