"""Live device telemetry to an ISP's browsers (server-sent events through a real server): the
network service's readings of its own devices only, one device's with `device_id`; a client
that did not ask for an event stream gets a 406, an ISP whose tier lacks network monitoring a
403."""

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from dotmac_contracts import encode_event
from dotmac_contracts.events import DeviceSampled, InterfaceTelemetry
from servicekit.bus import connect
from servicekit.testing import on_a_socket

pytestmark = pytest.mark.integration
STREAM = "/api/v1/devices/telemetry"
EVENTS = {"Accept": "text/event-stream"}


def reading(isp_id: uuid.UUID, device_id: uuid.UUID, in_bps: float) -> DeviceSampled:
    return DeviceSampled(
        isp_id=isp_id,
        device_id=device_id,
        sampled_at=datetime.now(UTC),
        uptime_s=3600.0,
        interfaces=[
            InterfaceTelemetry(
                index=1,
                name="uplink",
                oper_up=True,
                admin_up=True,
                speed_mbps=1000,
                in_bps=in_bps,
                out_bps=1e6,
                in_utilisation=in_bps / 1e9,
                out_utilisation=0.001,
                errors_in=0,
            )
        ],
    )


async def events(answer: httpx.Response, count: int) -> list[dict[str, Any]]:
    found = []
    async with asyncio.timeout(10):
        async for line in answer.aiter_lines():
            if line.startswith("data: "):
                found.append(json.loads(line[6:]))
                if len(found) == count:
                    return found
    return found


async def test_an_isp_sees_its_own_devices_readings_live_and_no_one_else_s(
    start_tenant_api, business_token, isp_on, nats_server
):
    async with start_tenant_api(internal_token=business_token, smtp_port=9) as (app, client):
        a, b = await isp_on(app, client), await isp_on(app, client)
        a_device, b_device, a_other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        nc = await connect(nats_server.url, name="telemetry-test")
        async with (
            on_a_socket(client._transport.app) as base,  # type: ignore[attr-defined]
            httpx.AsyncClient(base_url=base, timeout=30) as http,
        ):
            refused = await http.get(STREAM, headers=a.owner)
            assert refused.status_code == 406
            assert refused.headers["content-type"] == "application/problem+json"
            async with (
                http.stream("GET", STREAM, headers={**a.owner, **EVENTS}) as mine,
                http.stream(
                    "GET", f"{STREAM}?device_id={a_other}", headers={**a.owner, **EVENTS}
                ) as one_device,
                http.stream("GET", STREAM, headers={**b.owner, **EVENTS}) as theirs,
            ):
                assert mine.status_code == one_device.status_code == theirs.status_code == 200
                await asyncio.sleep(0.3)  # subscribed
                for sample in (
                    reading(b.id, b_device, 7e6),
                    reading(a.id, a_device, 5e8),
                    reading(a.id, a_other, 3e8),
                ):
                    envelope = encode_event(
                        sample,
                        event_id=str(uuid.uuid4()),
                        source="network",
                        time=sample.sampled_at,
                    )
                    await nc.jetstream().publish(
                        sample.nats_subject, envelope.data, headers=envelope.headers()
                    )
                got_a = await events(mine, 2)
                got_one = await events(one_device, 1)
                got_b = await events(theirs, 1)
        await nc.close()

    assert {e["device_id"] for e in got_a} == {str(a_device), str(a_other)}
    assert all(e["isp_id"] == str(a.id) for e in got_a)
    assert [e["device_id"] for e in got_one] == [str(a_other)]
    assert [e["device_id"] for e in got_b] == [str(b_device)]
    assert got_a[0]["interfaces"][0]["name"] == "uplink"


async def test_a_tier_without_network_monitoring_gets_no_telemetry(business_isp):
    isp = await business_isp(plugins=("customer_management",))
    answer = await isp.client.get(STREAM, headers={**isp.owner, **EVENTS})
    assert answer.status_code == 403
    assert "network_monitoring" in answer.text
