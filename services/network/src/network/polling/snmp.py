"""Reading a device over SNMP: its uptime; per interface its name, speed, status, octet counters
(the 64-bit ifXTable ones where the device has them, else the 32-bit ifTable ones) and errors;
and, where the device has HOST-RESOURCES-MIB, its processor load and memory in use.

SNMP v2c (GETBULK) and v1 (GETNEXT) go through aiosnmp; v3 (USM: authNoPriv or authPriv) through
pysnmp, since aiosnmp speaks no v3. Both answer the same two questions (`Agent`): the value at
one OID, and the rows under one column, so what a reading is does not depend on the version.
"""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Literal, Protocol

import aiosnmp
from aiosnmp.exceptions import SnmpErrorNoSuchName, SnmpException, SnmpTimeoutError
from aiosnmp.message import SnmpVersion

from network.polling.rates import CounterReading

SYS_UPTIME = ".1.3.6.1.2.1.1.3.0"
IF_TABLE = ".1.3.6.1.2.1.2.2.1"
IF_X_TABLE = ".1.3.6.1.2.1.31.1.1.1"
HR_PROCESSOR_LOAD = ".1.3.6.1.2.1.25.3.3.1.2"
HR_STORAGE = ".1.3.6.1.2.1.25.2.3.1"
HR_STORAGE_RAM = "1.3.6.1.2.1.25.2.1.2"
COLUMNS = {
    "name": f"{IF_X_TABLE}.1",
    "hc_in": f"{IF_X_TABLE}.6",
    "hc_out": f"{IF_X_TABLE}.10",
    "high_speed": f"{IF_X_TABLE}.15",
    "in_octets": f"{IF_TABLE}.10",
    "out_octets": f"{IF_TABLE}.16",
    "admin": f"{IF_TABLE}.7",
    "oper": f"{IF_TABLE}.8",
    "in_errors": f"{IF_TABLE}.14",
    "in_discards": f"{IF_TABLE}.13",
    "cpu": HR_PROCESSOR_LOAD,
    "storage_type": f"{HR_STORAGE}.2",
    "storage_size": f"{HR_STORAGE}.5",
    "storage_used": f"{HR_STORAGE}.6",
}


class Unreachable(Exception):
    """The device did not answer (down, filtered, or the credentials are wrong: v1/v2c agents
    stay silent for a community they do not know; a v3 agent refuses an unknown user or key)."""


class Malformed(Exception):
    """The device answered something that is not what these objects hold."""


@dataclass(frozen=True)
class Community:
    """SNMP v1 or v2c: a community string."""

    community: str
    version: Literal["v1", "v2c"] = "v2c"


@dataclass(frozen=True)
class User:
    """SNMP v3 (USM): a user with an authentication key and, for authPriv, a privacy key."""

    username: str
    auth_protocol: str
    """MD5, SHA, SHA-224, SHA-256, SHA-384 or SHA-512"""
    auth_key: str
    privacy_protocol: str | None = None
    """DES, AES, AES-192 or AES-256; None: authNoPriv"""
    privacy_key: str | None = None

    def __repr__(self) -> str:  # keys stay out of logs and tracebacks
        return f"User({self.username!r}, {self.auth_protocol}, {self.privacy_protocol})"


Credentials = Community | User


@dataclass
class InterfaceReading:
    index: int
    name: str = ""
    speed_mbps: int | None = None
    admin_up: bool | None = None
    oper_up: bool | None = None
    octets_in: CounterReading | None = None
    octets_out: CounterReading | None = None
    errors_in: int | None = None
    discards_in: int | None = None


@dataclass
class DeviceReading:
    uptime_ticks: int
    interfaces: dict[int, InterfaceReading] = field(default_factory=dict)
    cpu_load_pct: float | None = None
    """Mean hrProcessorLoad over the device's processors (the last minute's average each)."""
    memory_used_pct: float | None = None
    """hrStorageUsed / hrStorageSize of the device's RAM."""


Value = int | bytes | str
"""What an agent answers, plainly: a number (integers, counters, gauges, time ticks), a
string of octets, or an OID (dotted, no leading dot)."""


class Agent(Protocol):
    async def get(self, oid: str) -> Value | None: ...

    async def walk(self, column: str) -> Sequence[tuple[str, Value]]: ...


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Malformed(f"expected a number, got {type(value).__name__}")
    return value


def _index(oid: str, column: str) -> int | None:
    prefix = column.lstrip(".") + "."
    oid = oid.lstrip(".")
    if not oid.startswith(prefix):
        return None
    rest = oid[len(prefix) :]
    return int(rest) if rest.isdigit() else None


async def read_device(
    host: str, port: int, credentials: Credentials, *, timeout_s: float, retries: int = 1
) -> DeviceReading:
    """One reading of the device; Unreachable or Malformed if there is none to be had."""
    if isinstance(credentials, User):
        from network.polling.snmp_v3 import v3_agent  # pysnmp is loaded only if needed

        agent = v3_agent(host, port, credentials, timeout_s=timeout_s, retries=retries)
    else:
        agent = _community_agent(host, port, credentials, timeout_s=timeout_s, retries=retries)
    async with agent as device:
        return await _read(device, host, port)


async def _read(agent: Agent, host: str, port: int) -> DeviceReading:
    try:
        uptime = await agent.get(SYS_UPTIME)
        if uptime is None:
            raise Malformed(f"{host}:{port} has no sysUpTime")
        reading = DeviceReading(uptime_ticks=_int(uptime))
        walked = {}
        for key in ("hc_in", "hc_out", "high_speed", "oper", "admin", "name"):
            walked[key] = await agent.walk(COLUMNS[key])
        if not walked["hc_in"]:  # no ifXTable counters: the 32-bit ones, which wrap
            walked["in_octets"] = await agent.walk(COLUMNS["in_octets"])
            walked["out_octets"] = await agent.walk(COLUMNS["out_octets"])
        walked["in_errors"] = await agent.walk(COLUMNS["in_errors"])
        walked["in_discards"] = await agent.walk(COLUMNS["in_discards"])
        cpu = await agent.walk(COLUMNS["cpu"])
        storage_types = await agent.walk(COLUMNS["storage_type"])
        ram = [
            _index(oid, COLUMNS["storage_type"])
            for oid, kind in storage_types
            if isinstance(kind, str) and kind.lstrip(".") == HR_STORAGE_RAM
        ]
        if ram and ram[0] is not None:
            size = await agent.get(f"{COLUMNS['storage_size']}.{ram[0]}")
            used = await agent.get(f"{COLUMNS['storage_used']}.{ram[0]}")
            if size is not None and used is not None and _int(size) > 0:
                reading.memory_used_pct = round(_int(used) / _int(size) * 100, 2)
    except (ValueError, TypeError, IndexError) as error:
        raise Malformed(f"{host}:{port} answered something unreadable: {error}") from None
    loads = [_int(value) for _, value in cpu]
    if loads:
        reading.cpu_load_pct = round(sum(loads) / len(loads), 2)
    for key, results in walked.items():
        column = COLUMNS[key]
        for oid, value in results:
            index = _index(oid, column)
            if index is None:
                continue
            interface = reading.interfaces.setdefault(index, InterfaceReading(index))
            if key == "name":
                interface.name = (
                    value.decode(errors="replace") if isinstance(value, bytes) else str(value)
                )
            elif key in ("hc_in", "hc_out"):
                counter = CounterReading(_int(value), 64)
                if key == "hc_in":
                    interface.octets_in = counter
                else:
                    interface.octets_out = counter
            elif key in ("in_octets", "out_octets"):
                counter = CounterReading(_int(value), 32)
                if key == "in_octets":
                    interface.octets_in = counter
                else:
                    interface.octets_out = counter
            elif key == "high_speed":
                interface.speed_mbps = _int(value)
            elif key == "oper":
                interface.oper_up = _int(value) == 1
            elif key == "admin":
                interface.admin_up = _int(value) == 1
            elif key == "in_errors":
                interface.errors_in = _int(value)
            elif key == "in_discards":
                interface.discards_in = _int(value)
    return reading


# --- v1 and v2c: aiosnmp ----------------------------------------------------------------------


class _CommunityAgent:
    def __init__(self, snmp: object, version: str) -> None:
        self._snmp = snmp
        self._bulk = version == "v2c"  # GETBULK is v2c's; v1 walks with GETNEXT

    async def get(self, oid: str) -> Value | None:
        try:
            [result] = await self._snmp.get(oid)  # type: ignore[attr-defined]
        except SnmpErrorNoSuchName:  # v1's way of saying the object is not there
            return None
        return result.value  # type: ignore[no-any-return]

    async def walk(self, column: str) -> list[tuple[str, Value]]:
        results = await (
            self._snmp.bulk_walk(column)  # type: ignore[attr-defined]
            if self._bulk
            else self._snmp.walk(column)  # type: ignore[attr-defined]
        )
        # a row without a value (noSuchInstance, endOfMibView) is a row the device lacks
        return [(r.oid, r.value) for r in results if r.value is not None]


@asynccontextmanager
async def _community_agent(
    host: str, port: int, credentials: Community, *, timeout_s: float, retries: int
) -> AsyncIterator[Agent]:
    try:
        async with aiosnmp.Snmp(
            host=host,
            port=port,
            community=credentials.community,
            version=SnmpVersion.v1 if credentials.version == "v1" else SnmpVersion.v2c,
            timeout=timeout_s,
            retries=retries,
        ) as snmp:
            yield _CommunityAgent(snmp, credentials.version)
    except (SnmpTimeoutError, TimeoutError, OSError) as error:
        raise Unreachable(f"{host}:{port} did not answer ({type(error).__name__})") from None
    except SnmpException as error:  # an error status, a value type it cannot decode
        raise Malformed(f"{host}:{port} answered with an error: {error}") from None
