"""Reading a device over SNMPv2c (aiosnmp): its uptime and, per interface, its name, speed,
status, octet counters (the 64-bit ifXTable ones where the device has them, else the 32-bit
ifTable ones) and errors, in a few GETBULK walks."""

from dataclasses import dataclass, field

import aiosnmp
from aiosnmp.exceptions import SnmpTimeoutError

from network.polling.rates import CounterReading

SYS_UPTIME = ".1.3.6.1.2.1.1.3.0"
IF_TABLE = ".1.3.6.1.2.1.2.2.1"
IF_X_TABLE = ".1.3.6.1.2.1.31.1.1.1"
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
}


class Unreachable(Exception):
    """The device did not answer (down, filtered, or the community is wrong: SNMPv2c agents
    stay silent for a community they do not know)."""


class Malformed(Exception):
    """The device answered something that is not what these objects hold."""


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


def _index(oid: str, column: str) -> int | None:
    prefix = column + "."
    if not oid.startswith(prefix):
        return None
    rest = oid[len(prefix) :]
    return int(rest) if rest.isdigit() else None


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Malformed(f"expected a number, got {type(value).__name__}")
    return value


async def read_device(
    host: str, port: int, community: str, *, timeout_s: float, retries: int = 1
) -> DeviceReading:
    """One reading of the device; Unreachable or Malformed if there is none to be had."""
    try:
        async with aiosnmp.Snmp(
            host=host, port=port, community=community, timeout=timeout_s, retries=retries
        ) as snmp:
            [uptime] = await snmp.get(SYS_UPTIME)
            reading = DeviceReading(uptime_ticks=_int(uptime.value))
            walked = {}
            for key in ("hc_in", "hc_out", "high_speed", "oper", "admin", "name"):
                walked[key] = await snmp.bulk_walk(COLUMNS[key])
            if not walked["hc_in"]:  # no ifXTable counters: the 32-bit ones, which wrap
                walked["in_octets"] = await snmp.bulk_walk(COLUMNS["in_octets"])
                walked["out_octets"] = await snmp.bulk_walk(COLUMNS["out_octets"])
            walked["in_errors"] = await snmp.bulk_walk(COLUMNS["in_errors"])
            walked["in_discards"] = await snmp.bulk_walk(COLUMNS["in_discards"])
    except (SnmpTimeoutError, TimeoutError, OSError) as error:
        raise Unreachable(f"{host}:{port} did not answer ({type(error).__name__})") from None
    except (ValueError, TypeError, IndexError) as error:
        raise Malformed(f"{host}:{port} answered something unreadable: {error}") from None
    for key, results in walked.items():
        column = COLUMNS[key]
        for result in results:
            index = _index(result.oid, column)
            if index is None:
                continue
            interface = reading.interfaces.setdefault(index, InterfaceReading(index))
            value = result.value
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
