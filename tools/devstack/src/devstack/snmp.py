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

Debian's net-snmp, for what a simulation does not show: ``Snmpd`` is the real agent (answering
this machine's IF-MIB and HOST-RESOURCES-MIB, over v2c and an SNMPv3 authPriv user), and
``send_trap()`` sends a v2c trap with the real ``snmptrap``. Both come from their packages
unpacked by ``devstack.debian`` when they are not installed, and run with MIB loading off:
Debian ships the IETF MIBs in a non-free package, so every OID here is numeric.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.debian import Program, program
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
        return _answers(self.udp_ports[0], self.probe_community)


# --- Debian's net-snmp: the real agent, and snmptrap ----------------------------------------


@dataclass(frozen=True)
class SnmpV3User:
    """An SNMPv3 (USM) user the agent knows, for authPriv reads."""

    username: str
    auth_key: str
    privacy_key: str
    auth_protocol: str = "SHA-256"
    """MD5, SHA, SHA-224, SHA-256, SHA-384 or SHA-512 (net-snmp's spelling)."""
    privacy_protocol: str = "AES"
    """DES or AES (128-bit)."""

    def __post_init__(self) -> None:
        if min(len(self.auth_key), len(self.privacy_key)) < 8:
            raise ValueError("net-snmp refuses SNMPv3 keys shorter than 8 characters")

    def __repr__(self) -> str:  # keys stay out of logs and test reports
        return f"SnmpV3User({self.username!r}, {self.auth_protocol}, {self.privacy_protocol})"


def _quoted(value: str) -> str:
    if any(c in value for c in '"\n\\'):
        raise ValueError(f"cannot write {value!r} into snmpd.conf")
    return f'"{value}"'


class Snmpd(Component):
    """Debian's snmpd on 127.0.0.1:``port`` (UDP), answering this machine's own MIB-II,
    IF-MIB and HOST-RESOURCES-MIB to a v2c read-only ``community`` and, if given, to an SNMPv3
    ``user`` at authPriv. Nothing of the system's configuration is read (``-C``): its own
    ``snmpd.conf``, persistent state (engine boots, the v3 user's localised keys) and log stay
    in ``work_dir``. As root it runs as the unprivileged ``dotmac-snmp``.

    hrProcessorLoad is the load over the last minute: snmpd answers it only once it has a
    minute of samples (~60 s after start); hrStorage and the interfaces answer at once.
    """

    def __init__(
        self,
        port: int,
        work_dir: Path,
        *,
        community: str,
        user: SnmpV3User | None = None,
        tools: Path | None = None,
    ) -> None:
        self.udp_port = port
        self.work_dir = Path(work_dir)
        self.community = community
        self.user = user
        self.tools = tools
        self.config_path = self.work_dir / "snmpd.conf"
        self.persistent_dir = self.work_dir / "persistent"
        super().__init__("snmpd", self.work_dir / "snmpd.log")

    def config(self) -> str:
        lines = [
            f"rocommunity {_quoted(self.community)} {LOCALHOST}",
            "dontLogTCPWrappersConnects true",
            "disablePerl true",
        ]
        if self.user is not None:
            user = self.user
            lines += [
                # snmpd localises the keys into the persistent store and drops this line there
                f"createUser {_quoted(user.username)} {user.auth_protocol} "
                f"{_quoted(user.auth_key)} {user.privacy_protocol} {_quoted(user.privacy_key)}",
                f"rouser {_quoted(user.username)} priv",
            ]
        return "".join(line + "\n" for line in lines)

    def prepare(self) -> None:
        self.program = program("snmpd", "snmpd", cache_root=self.tools)
        self.persistent_dir.mkdir(parents=True, exist_ok=True)
        self._forget_persisted_user()
        self.config_path.write_text(self.config())
        self.config_path.chmod(0o600)  # it holds the v3 keys
        if running_as_root():
            entry = ensure_system_user(SNMP_USER)
            make_traversable(self.work_dir, "snmpd's configuration")
            for root in self.program.unpacked.roots if self.program.unpacked else ():
                make_traversable(root, "snmpd")
            for path in (self.work_dir, self.config_path, self.persistent_dir):
                os.chown(path, entry.pw_uid, entry.pw_gid)
            for child in self.persistent_dir.rglob("*"):
                os.chown(child, entry.pw_uid, entry.pw_gid)

    def _forget_persisted_user(self) -> None:
        """Drop the v3 user snmpd saved on its last stop: ``createUser`` makes it afresh from
        the configuration, with keys that may have changed since."""
        state = self.persistent_dir / "snmpd.conf"
        if state.exists():
            kept = [
                line for line in state.read_text().splitlines() if not line.startswith("usmUser")
            ]
            state.write_text("".join(line + "\n" for line in kept))

    def command(self) -> list[str]:
        return [
            str(self.program.path),
            "-f",  # foreground: stopped by its PID
            "-C",  # no system configuration, only -c
            "-c",
            str(self.config_path),
            "-I",
            "-smux",  # SMUX would bind the privileged port 199
            "-Lo",  # log to stdout, that is the component's log file
            f"udp:{LOCALHOST}:{self.udp_port}",
        ]

    def environment(self) -> dict[str, str]:
        return _net_snmp_environment(self.program, self.persistent_dir, self.work_dir)

    def popen_options(self) -> dict[str, Any]:
        if not running_as_root():
            return {"cwd": self.work_dir}
        entry = ensure_system_user(SNMP_USER)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": [], "cwd": "/"}

    def probe(self) -> bool:
        """A v2c GET of sysUpTime.0 answers."""
        return _answers(self.udp_port, self.community)


def _net_snmp_environment(tool: Program, persistent_dir: Path, config_dir: Path) -> dict[str, str]:
    env = tool.environment()
    env["MIBS"] = ""  # no MIB loading: the IETF MIBs are in no package reachable here
    env["SNMP_PERSISTENT_DIR"] = str(persistent_dir)  # not /var/lib/snmp
    env["SNMPCONFPATH"] = str(config_dir)  # not /etc/snmp nor ~/.snmp
    return env


Varbind = tuple[str, str, str | int]
"""``(oid, type, value)`` as snmptrap takes them: type ``i`` INTEGER, ``u`` Unsigned32, ``c``
Counter32, ``C`` Counter64, ``t`` TimeTicks, ``s`` string, ``x`` hex string, ``o`` OID, ``a``
IP address."""


class SnmpTrapFailed(RuntimeError):
    """snmptrap exited with an error (its message says why)."""


def snmp_command(name: str, tools: Path | None = None) -> Program:
    """A net-snmp command-line tool (``snmptrap``, ``snmpget``, ``snmpwalk``...) from Debian's
    ``snmp`` package; run it with ``_net_snmp_environment``'s settings, as ``send_trap`` does."""
    return program(name, "snmp", cache_root=tools)


def send_trap(
    port: int,
    community: str,
    trap_oid: str,
    varbinds: Iterable[Varbind] = (),
    *,
    host: str = LOCALHOST,
    uptime_ticks: int | None = None,
    tools: Path | None = None,
    timeout: float = 30,
) -> None:
    """Send one SNMPv2c trap (``trap_oid``, numeric) to ``host:port`` with Debian's snmptrap,
    as a device would. Blocking: from async code, run it in a thread."""
    tool = snmp_command("snmptrap", tools)
    argv = [
        str(tool.path),
        "-v",
        "2c",
        "-c",
        community,
        f"udp:{host}:{port}",
        "" if uptime_ticks is None else str(uptime_ticks),  # empty: snmptrap's own uptime
        trap_oid,
    ]
    for oid, kind, value in varbinds:
        argv += [oid, kind, str(value)]
    with tempfile.TemporaryDirectory(prefix="dotmac-snmptrap-") as scratch:
        sent = subprocess.run(
            argv,
            env=_net_snmp_environment(tool, Path(scratch), Path(scratch)),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    if sent.returncode != 0:
        raise SnmpTrapFailed(f"snmptrap exited with {sent.returncode}: {sent.stderr.strip()}")


def _answers(port: int, community: str) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.3)
        try:
            sock.sendto(get_request(community), (LOCALHOST, port))
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
