"""The poller against a simulated fleet (snmpsim, real UDP): every device is read on its
schedule with rates from its moving counters; an unreachable device and a wrong community are
counted, and hold none of the others up."""

import asyncio
import socket
import uuid
from typing import Any

import pytest

from network.polling.poller import DeviceSample, Poller, Target
from network.polling.snmp import Community

pytestmark = pytest.mark.integration

DEVICES = 20  # the fleet's (conftest)


async def test_a_fleet_is_read_on_schedule_with_rates_and_failures_hold_nobody_up(fleet):
    port, devices = fleet
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        silent_port = s.getsockname()[1]  # bound, never answers: every request times out
        samples: list[DeviceSample] = []

        async def keep(sample: DeviceSample) -> None:
            samples.append(sample)

        poller = Poller(keep, concurrency=50, timeout_s=0.5)
        tenant = uuid.uuid4()
        for device in devices:
            poller.watch(
                Target(
                    uuid.uuid4(),
                    tenant,
                    "127.0.0.1",
                    port,
                    Community(device.community),
                    interval_s=1.0,
                )
            )
        poller.watch(
            Target(uuid.uuid4(), tenant, "127.0.0.1", silent_port, Community("x"), interval_s=1.0)
        )
        poller.watch(
            Target(
                uuid.uuid4(),
                tenant,
                "127.0.0.1",
                port,
                Community("wrong-community"),
                interval_s=1.0,
            )
        )
        running = asyncio.create_task(poller.run())
        await asyncio.sleep(3.6)
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)

    per_device: dict[uuid.UUID, list[DeviceSample]] = {}
    for sample in samples:
        per_device.setdefault(sample.target.device_id, []).append(sample)
    assert len(per_device) == DEVICES  # every answering device, none of the two others
    assert all(len(got) >= 3 for got in per_device.values())  # about one a second each
    later = [s for got in per_device.values() for s in got[1:]]
    uplinks = [s.interfaces[0] for s in later]
    assert all(i.name == "uplink" and i.oper_up for i in uplinks)
    for uplink in uplinks:  # 400 Mb/s configured; readings a second apart, to the tick
        assert uplink.in_bps == pytest.approx(400_000_000, rel=0.25)
        assert uplink.in_utilisation == pytest.approx(0.4, rel=0.25)
    assert all(s.interfaces[0].in_bps is None for s in (got[0] for got in per_device.values()))
    assert poller.counts["unreachable"] + poller.counts["missed"] >= 4  # 2 devices, ~3 cycles
    assert poller.counts["malformed"] == 0


class _Liar(asyncio.DatagramProtocol):
    """An "agent" that answers every request with garbage, or with the first half of the real
    agent's answer to it."""

    def __init__(self, real_port: int | None) -> None:
        self.real_port = real_port

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if self.real_port is None:
            self.transport.sendto(bytes(range(256))[:90], addr)
            return
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as real:
            real.settimeout(1.0)
            real.sendto(data, ("127.0.0.1", self.real_port))
            try:
                answer, _ = real.recvfrom(65535)
            except OSError:
                return
        self.transport.sendto(answer[: len(answer) // 2], addr)


async def test_garbage_and_truncated_answers_are_counted_and_hold_nobody_up(fleet):
    port, devices = fleet
    loop = asyncio.get_running_loop()
    escaped: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _, context: escaped.append(context))
    liars = [
        await loop.create_datagram_endpoint(lambda p=p: _Liar(p), local_addr=("127.0.0.1", 0))
        for p in (None, port)
    ]
    samples: list[DeviceSample] = []

    async def keep(sample: DeviceSample) -> None:
        samples.append(sample)

    try:
        poller = Poller(keep, concurrency=50, timeout_s=0.3)
        tenant = uuid.uuid4()
        honest = [
            Target(uuid.uuid4(), tenant, "127.0.0.1", port, Community(d.community), interval_s=1.0)
            for d in devices[:5]
        ]
        for target in honest:
            poller.watch(target)
        for transport, _ in liars:
            liar_port = transport.get_extra_info("sockname")[1]
            poller.watch(
                Target(
                    uuid.uuid4(),
                    tenant,
                    "127.0.0.1",
                    liar_port,
                    Community(devices[0].community),
                    interval_s=1.0,
                )
            )
        running = asyncio.create_task(poller.run())
        await asyncio.sleep(3.6)
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    finally:
        for transport, _ in liars:
            transport.close()
        loop.set_exception_handler(previous)

    assert {s.target.device_id for s in samples} == {t.device_id for t in honest}
    failed = sum(poller.counts[k] for k in ("unreachable", "malformed", "missed"))
    assert failed >= 4  # both liars, every cycle: counted, never a reading
    assert not [c for c in escaped if "exception" in c and "Liar" not in repr(c)], escaped
