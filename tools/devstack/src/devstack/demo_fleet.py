"""The demo fleet: simulated network devices that demo ISPs' devices answer from in development.

The demo scenarios (tenant-api's sample data) give an ISP routers, firewalls, switches, OLTs
and access points. ``make up`` runs one snmpsim process answering a fixed catalogue of those:
a few variants per role (``demo_fleet.toml``), each with the interfaces, speeds and traffic of a
real model of that role, its counters moving at the traffic's rate. A variant's data file, and
so its SNMP v2c community, is ``demo-<role>-<n>`` (``demo-router-1``).

tenant-api learns where the fleet is from ``TENANT_API_DEMO_SNMP_FLEET`` (``settings()``):
its network, port and each role's communities. Loading a scenario then gives each device an
address of that network (the n-th device the n-th address: an ISP's devices need distinct
management addresses) and the community of a variant of its role, so the network service polls
them like any device and a demo shows traffic that moves. The agent listens on every address of
the network (127.0.0.1 to 127.0.0.126): Linux routes all of 127/8 to the loopback interface;
macOS only has 127.0.0.1 unless aliases are added (``sudo ifconfig lo0 alias 127.0.0.2``...),
so there ``loopback_network_usable()`` is false and the stack runs without the fleet.
"""

from __future__ import annotations

import json
import socket
import tomllib
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

from devstack.process import ComponentError
from devstack.snmp import (
    Device,
    Interface,
    SnmpSim,
    get_request,
    snmpsim_home,
    write_fleet,
)

NETWORK = IPv4Network("127.0.0.0/25")
"""126 addresses: room for the largest scenario's devices (enterprise has 65) and more."""
DATA = Path(__file__).with_name("demo_fleet.toml")


def _interfaces(port: dict[str, Any]) -> list[Interface]:
    mbit = 1_000_000
    if "numbers" not in port:
        return [Interface(port["name"], port["speed"], port["in"] * mbit, port["out"] * mbit)]
    first, last = port["numbers"]
    traffic = {int(n): rates for n, rates in port.get("traffic", {}).items()}
    return [
        Interface(
            port["name"].format(n=n),
            speed_mbps=port["speed"],
            in_bps=traffic.get(n, (0, 0))[0] * mbit,
            out_bps=traffic.get(n, (0, 0))[1] * mbit,
            up=n in traffic,
        )
        for n in range(first, last + 1)
    ]


def _catalogue() -> dict[str, tuple[Device, ...]]:
    catalogue: dict[str, tuple[Device, ...]] = {}
    for role, variants in tomllib.loads(DATA.read_text()).items():
        devices = []
        for number, variant in enumerate(variants, start=1):
            community = f"demo-{role.replace('_', '-')}-{number}"
            interfaces = tuple(i for port in variant["ports"] for i in _interfaces(port))
            devices.append(
                Device(community, community, interfaces, variant["descr"], variant["cpu_percent"])
            )
        catalogue[role] = tuple(devices)
    return catalogue


CATALOGUE = _catalogue()
"""Each role's simulated devices (variants), from ``demo_fleet.toml``."""


def devices() -> list[Device]:
    return [device for variants in CATALOGUE.values() for device in variants]


def communities() -> dict[str, list[str]]:
    """Each role's communities, in the catalogue's order."""
    return {role: [d.community for d in variants] for role, variants in CATALOGUE.items()}


def loopback_network_usable(network: IPv4Network = NETWORK) -> bool:
    """Whether a UDP socket can bind the network's last address (every one on Linux)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((str(network[-2]), 0))
        except OSError:
            return False
    return True


class DemoFleet(SnmpSim):
    """The catalogue, answered by one snmpsim process on every address of ``network``, UDP
    ``port``. Its data files (and snmpsim's index of them) live in ``home``."""

    def __init__(
        self,
        port: int,
        home: Path,
        log_path: Path,
        *,
        network: IPv4Network = NETWORK,
        tools: Path | None = None,
    ) -> None:
        super().__init__(
            [port],
            home / "data",
            home,
            probe_community=CATALOGUE["router"][0].community,
            tools=tools,
        )
        self.name = "demo-fleet"
        self.log_path = Path(log_path)
        self.port = port
        self.network = network
        # Known before prepare() installs it: `up` compares a running fleet's command line
        # with command() to adopt it.
        self.python = snmpsim_home(tools) / "bin" / "python"

    def settings(self) -> dict[str, str]:
        """What tenant-api needs to point demo devices at this fleet."""
        fleet = {"network": str(self.network), "port": self.port, "communities": communities()}
        return {"TENANT_API_DEMO_SNMP_FLEET": json.dumps(fleet, separators=(",", ":"))}

    def prepare(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.bind((str(self.network[1]), self.port))
            except OSError:
                raise ComponentError(
                    self,
                    f"UDP port {self.network[1]}:{self.port} is already in use by another "
                    "program (set DOTMAC_DEMO_SNMP_PORT to use another port)",
                    False,
                ) from None
        write_fleet(self.data_dir, devices())
        super().prepare()

    def command(self) -> list[str]:
        # The module rather than its console script: a script's process shows the interpreter
        # first on its command line, and `down` only stops a PID still running what was recorded.
        return [
            str(self.python),
            "-m",
            "snmpsim.commands.responder",
            f"--data-dir={self.data_dir}",
            f"--cache-dir={self.work_dir / 'cache'}",
            "--log-level=error",  # not a line per request the network service makes
            *(f"--agent-udpv4-endpoint={host}:{self.port}" for host in self.network.hosts()),
        ]

    def probe(self) -> bool:
        """A GET of sysUpTime.0 on the network's last address answers (snmpsim binds every
        endpoint before it serves any)."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.3)
            try:
                sock.sendto(get_request(self.probe_community), (str(self.network[-2]), self.port))
                answer, _ = sock.recvfrom(4096)
            except OSError:
                return False
        return len(answer) > 0
