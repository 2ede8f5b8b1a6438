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

log = logging.getLogger(__name__)

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
    "address with that community), malformed",
    ["outcome"],
)
for _outcome in ("matched", "unknown", "malformed"):
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
        self.counts = dict.fromkeys(("matched", "unknown", "malformed"), 0)
        self._last_warning = 0.0
        self._transport: asyncio.DatagramTransport | None = None
        self._pending: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self), local_addr=(self.host, self.port)
        )
        self._transport = transport  # type: ignore[assignment]
        try:
            await asyncio.Event().wait()
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
        self._count("matched", source)
        task = asyncio.ensure_future(
            self._deliver(
                target, KINDS.get(trap_oid, "other"), trap_oid, if_index, datetime.now(UTC)
            )
        )
        self._pending.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: "asyncio.Future[None]") -> None:
        self._pending.discard(task)  # type: ignore[arg-type]
        if not task.cancelled() and task.exception() is not None:
            log.error("could not record a trap", exc_info=task.exception())

    def _match(self, source: str, community: str) -> Target | None:
        if self._indexed != self._poller.version:  # the fleet changed: index it again
            self._index = {(t.host, t.community): t for t in self._poller.targets.values()}
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
