"""SNMPv2c traps in (UDP, `NETWORK_TRAP_PORT`): matched to the ISP's device by the address it
came from and the community it carries, then published (`DeviceTrapReceived`, through the
outbox). Whatever cannot be matched or read is counted, never a crash and never a stall: a
flood from unknown sources costs a decode and a counter each."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiosnmp.message import SnmpV2TrapMessage
from prometheus_client import Counter

from network.polling.poller import Poller, Target
from network.polling.snmp import Community

log = logging.getLogger(__name__)
QUEUE = 10_000
"""Matched traps waiting to be recorded, at most."""

SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
IF_INDEX = "1.3.6.1.2.1.2.2.1.1."
KINDS = {
    "1.3.6.1.6.3.1.1.5.1": "cold_start",
    "1.3.6.1.6.3.1.1.5.2": "warm_start",
    "1.3.6.1.6.3.1.1.5.3": "link_down",
    "1.3.6.1.6.3.1.1.5.4": "link_up",
    "1.3.6.1.6.3.1.1.5.5": "authentication_failure",
}
TRAPS = Counter(
    "dotmac_snmp_traps",
    "SNMP traps received, by outcome: matched (to a device), unknown (no device at that "
    "address with that community), malformed, dropped (matched, but more were waiting to be "
    "recorded than the receiver holds)",
    ["outcome"],
)
for _outcome in ("matched", "unknown", "malformed", "dropped"):
    TRAPS.labels(_outcome)


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, receiver: "TrapReceiver") -> None:
        self.receiver = receiver

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.receiver.heard(data, addr[0])


class TrapReceiver:
    def __init__(
        self,
        poller: Poller,
        deliver: Callable[[Target, str, str, int | None, datetime], Awaitable[None]],
        *,
        host: str,
        port: int,
    ) -> None:
        self._poller = poller
        self._index: dict[tuple[str, str], Target] = {}
        self._indexed = -1
        self._deliver = deliver
        self.host, self.port = host, port
        self.counts = dict.fromkeys(("matched", "unknown", "malformed", "dropped"), 0)
        self._last_warning = 0.0
        self._transport: asyncio.DatagramTransport | None = None
        self._queue: asyncio.Queue[tuple[Target, str, str, int | None, datetime]] = asyncio.Queue(
            QUEUE
        )
        """Matched traps, recorded one at a time in the order they came: a linkUp recorded
        before the linkDown just before it would leave a link alerted that is up."""

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self), local_addr=(self.host, self.port)
        )
        self._transport = transport  # type: ignore[assignment]
        try:
            while True:
                trap = await self._queue.get()
                try:
                    await self._deliver(*trap)
                except Exception:
                    log.exception("could not record a trap from %s", trap[0].device_id)
        finally:
            transport.close()

    def heard(self, data: bytes, source: str) -> None:
        try:
            message = SnmpV2TrapMessage.decode(data)
            if message is None:
                raise ValueError("not an SNMPv2c trap")
            varbinds = {str(v.oid).lstrip("."): v.value for v in message.data.varbinds}
            trap_oid = str(varbinds.get(SNMP_TRAP_OID, "")).lstrip(".")
            if not trap_oid:
                raise ValueError("no snmpTrapOID")
        except (KeyboardInterrupt, SystemExit, asyncio.CancelledError):
            raise
        except BaseException:  # whatever a hostile packet makes the decoder raise:
            # its BER decoder is Rust, and panics (pyo3's PanicException, not an Exception) on
            # some inputs, an empty datagram among them.
            self._count("malformed", source)
            return
        target = self._match(source, message.community)
        if target is None:
            self._count("unknown", source)
            return
        if_index = next(
            (
                int(v)
                for oid, v in varbinds.items()
                if oid.startswith(IF_INDEX) and isinstance(v, int)
            ),
            None,
        )
        try:
            self._queue.put_nowait(
                (target, KINDS.get(trap_oid, "other"), trap_oid, if_index, datetime.now(UTC))
            )
        except asyncio.QueueFull:  # a device storming faster than traps can be recorded
            self._count("dropped", source)
            return
        self._count("matched", source)

    def _match(self, source: str, community: str) -> Target | None:
        if self._indexed != self._poller.version:  # the fleet changed: index it again
            self._index = {
                (t.host, t.credentials.community): t
                for t in self._poller.targets.values()
                if isinstance(t.credentials, Community)  # v2c traps carry a community
            }
            self._indexed = self._poller.version
        return self._index.get((source, community))

    def _count(self, outcome: str, source: str) -> None:
        self.counts[outcome] += 1
        TRAPS.labels(outcome).inc()
        if outcome != "matched" and time.monotonic() - self._last_warning > 60:
            self._last_warning = time.monotonic()  # one line a minute, however big the flood
            log.warning(
                "SNMP trap from %s: %s (counted in dotmac_snmp_traps_total)", source, outcome
            )
