"""Simulated SNMP agents: snmpsim, answering SNMPv2c for a fleet of devices whose interface
counters move between polls.

snmpsim refuses to run as root, and run as another user it needs a Python whose standard
library that user can read (a venv of this project's Python may live under a mode-700 home).
So it gets a virtualenv of its own, made from Debian's ``/usr/bin/python3`` in
``.dotmac/tools/snmpsim-<version>/`` on first use (snmpsim and pysmi, which it needs without
declaring it, from the package index), and when we are root it runs as the system user
``dotmac-snmp``.

One agent process answers on any number of UDP endpoints (``--agent-udpv4-endpoint``). The
community is a data file's name: ``<community>.snmprec`` answers ``<community>``; a device
is one data file, reached with its own community (the same on every endpoint of the process).
``device_records()`` writes what a router or switch answers: sysDescr, sysUpTime (moving),
IF-MIB's ifTable and ifXTable with 64-bit counters that grow at each interface's rate
(snmpsim's ``numeric`` variation), ifHighSpeed, oper and admin status, errors and discards,
and HOST-RESOURCES processor load.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.ports import LOCALHOST
from devstack.postgres import ensure_system_user, make_traversable, running_as_root
from devstack.process import Component

logger = logging.getLogger("devstack")

SNMPSIM_VERSION = "1.2.2"
PYSMI_VERSION = "2.0.0"
SNMP_USER = "dotmac-snmp"
REPO_ROOT = Path(__file__).resolve().parents[4]
DEFAULT_TOOLS = REPO_ROOT / ".dotmac" / "tools"
SYSTEM_PYTHON = Path("/usr/bin/python3")


def snmpsim_home(tools: Path | None = None) -> Path:
    return (tools or DEFAULT_TOOLS) / f"snmpsim-{SNMPSIM_VERSION}"


def install_snmpsim(tools: Path | None = None) -> Path:
    """snmpsim's own virtualenv, made on first use; answers its command responder's path."""
    home = snmpsim_home(tools)
    responder = home / "bin" / "snmpsim-command-responder"
    installed = home / ".installed"
    if installed.exists():
        return responder
    python = SYSTEM_PYTHON if SYSTEM_PYTHON.exists() else Path(shutil.which("python3") or "")
    shutil.rmtree(home, ignore_errors=True)  # a half-made one from an interrupted install
    logger.warning("devstack: installing snmpsim %s into %s (once)", SNMPSIM_VERSION, home)
    subprocess.run([str(python), "-m", "venv", str(home)], check=True, timeout=300)
    subprocess.run(
        [
            str(home / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"snmpsim=={SNMPSIM_VERSION}",
            f"pysmi=={PYSMI_VERSION}",
        ],
        check=True,
        timeout=600,
    )
    installed.touch()
    return responder


# --- what a device answers -----------------------------------------------------------------

SYS = "1.3.6.1.2.1.1"
IF_TABLE = "1.3.6.1.2.1.2.2.1"
IF_X_TABLE = "1.3.6.1.2.1.31.1.1.1"
HR_PROCESSOR_LOAD = "1.3.6.1.2.1.25.3.3.1.2"


@dataclass(frozen=True)
class Interface:
    name: str
    speed_mbps: int = 1000
    in_bps: int = 200_000_000
    """Bits a second the interface receives (its counters grow at this rate)."""
    out_bps: int = 80_000_000
    up: bool = True


@dataclass(frozen=True)
class Device:
    community: str
    name: str
    interfaces: tuple[Interface, ...] = field(default_factory=tuple)
    descr: str = "DotMac simulated router"
    cpu_percent: int = 12


def device_records(device: Device) -> str:
    """The device as an ``.snmprec`` file (``OID|tag|value``, sorted by OID)."""
    rows: list[tuple[tuple[int, ...], str]] = []

    def put(oid: str, tag: str, value: Any) -> None:
        rows.append((tuple(int(p) for p in oid.split(".")), f"{oid}|{tag}|{value}"))

    put(f"{SYS}.1.0", "4", device.descr)
    put(f"{SYS}.2.0", "6", "1.3.6.1.4.1.8072.3.2.10")
    put(f"{SYS}.3.0", "67:numeric", "rate=100,initial=360000")  # TimeTicks: 1/100 s
    put(f"{SYS}.5.0", "4", device.name)
    put("1.3.6.1.2.1.2.1.0", "2", len(device.interfaces))
    for index, interface in enumerate(device.interfaces, start=1):
        in_bytes, out_bytes = interface.in_bps // 8, interface.out_bps // 8
        status = 1 if interface.up else 2
        put(f"{IF_TABLE}.1.{index}", "2", index)
        put(f"{IF_TABLE}.2.{index}", "4", interface.name)
        put(f"{IF_TABLE}.3.{index}", "2", 6)  # ethernetCsmacd
        put(f"{IF_TABLE}.5.{index}", "66", min(interface.speed_mbps * 1_000_000, 4294967295))
        put(f"{IF_TABLE}.7.{index}", "2", 1)  # ifAdminStatus up
        put(f"{IF_TABLE}.8.{index}", "2", status)  # ifOperStatus
        put(f"{IF_TABLE}.10.{index}", "65:numeric", f"rate={in_bytes},wrap=1,initial=0")
        put(f"{IF_TABLE}.13.{index}", "65", 0)  # ifInDiscards
        put(f"{IF_TABLE}.14.{index}", "65:numeric", "rate=1,initial=0")  # ifInErrors
        put(f"{IF_TABLE}.16.{index}", "65:numeric", f"rate={out_bytes},wrap=1,initial=0")
        put(f"{IF_TABLE}.19.{index}", "65", 0)  # ifOutDiscards
        put(f"{IF_TABLE}.20.{index}", "65", 0)  # ifOutErrors
        put(f"{IF_X_TABLE}.1.{index}", "4", interface.name)
        put(f"{IF_X_TABLE}.6.{index}", "70:numeric", f"rate={in_bytes},initial=0")
        put(f"{IF_X_TABLE}.10.{index}", "70:numeric", f"rate={out_bytes},initial=0")
        put(f"{IF_X_TABLE}.15.{index}", "66", interface.speed_mbps)  # ifHighSpeed
        put(f"{IF_X_TABLE}.18.{index}", "4", f"uplink {index}")  # ifAlias
    put(f"{HR_PROCESSOR_LOAD}.196608", "2", device.cpu_percent)
    return "".join(line + "\n" for _, line in sorted(rows))


def write_fleet(data_dir: Path, devices: list[Device]) -> None:
    """One ``<community>.snmprec`` per device (files, not links: snmpsim reads them itself)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for device in devices:
        (data_dir / f"{device.community}.snmprec").write_text(device_records(device))


# --- the agent process -----------------------------------------------------------------------


class SnmpSim(Component):
    """snmpsim answering the devices of ``data_dir`` on 127.0.0.1:``ports`` (UDP)."""

    def __init__(
        self,
        ports: list[int],
        data_dir: Path,
        work_dir: Path,
        *,
        probe_community: str,
        tools: Path | None = None,
    ) -> None:
        self.udp_ports = list(ports)
        self.data_dir = Path(data_dir)
        self.work_dir = Path(work_dir)
        self.probe_community = probe_community
        self.tools = tools
        super().__init__("snmpsim", self.work_dir / "snmpsim.log")

    def prepare(self) -> None:
        self.responder = install_snmpsim(self.tools)
        (self.work_dir / "cache").mkdir(parents=True, exist_ok=True)
        if running_as_root():
            entry = ensure_system_user(SNMP_USER)
            make_traversable(self.data_dir, "the simulated devices' data")
            make_traversable(self.responder, "snmpsim")
            for path in (self.data_dir, self.work_dir / "cache"):
                os.chown(path, entry.pw_uid, entry.pw_gid)
                for child in path.iterdir():
                    os.chown(child, entry.pw_uid, entry.pw_gid)

    def command(self) -> list[str]:
        return [
            str(self.responder),
            f"--data-dir={self.data_dir}",
            f"--cache-dir={self.work_dir / 'cache'}",
            *(f"--agent-udpv4-endpoint={LOCALHOST}:{port}" for port in self.udp_ports),
        ]

    def popen_options(self) -> dict[str, Any]:
        if not running_as_root():
            return {"cwd": self.work_dir}
        entry = ensure_system_user(SNMP_USER)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": [], "cwd": "/"}

    def probe(self) -> bool:
        """A GET of sysUpTime.0 on the first endpoint answers."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.3)
            try:
                sock.sendto(get_request(self.probe_community), (LOCALHOST, self.udp_ports[0]))
                answer, _ = sock.recvfrom(4096)
            except OSError:
                return False
        return len(answer) > 0


def _tlv(tag: int, body: bytes) -> bytes:
    length = len(body)
    if length < 0x80:
        return bytes([tag, length]) + body
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(encoded)]) + encoded + body


def get_request(community: str, request_id: int = 1) -> bytes:
    """An SNMPv2c GetRequest for sysUpTime.0, BER-encoded (the probe needs nothing more)."""
    oid = bytes([0x2B, 6, 1, 2, 1, 1, 3, 0])  # 1.3.6.1.2.1.1.3.0
    varbind = _tlv(0x30, _tlv(0x06, oid) + b"\x05\x00")
    pdu = _tlv(
        0xA0,
        _tlv(0x02, request_id.to_bytes(4, "big"))
        + _tlv(0x02, b"\x00")
        + _tlv(0x02, b"\x00")
        + _tlv(0x30, varbind),
    )
    return _tlv(0x30, _tlv(0x02, b"\x01") + _tlv(0x04, community.encode()) + pdu)
