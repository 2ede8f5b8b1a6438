"""Debian packages unpacked without installing them: a program gets the library packages this
machine lacks (without them it would not even load), parallel callers share one copy, and
once unpacked nothing of apt is needed again."""

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from devstack.debian import Program, Unpacked, unpack

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("apt-get") is None, reason="needs Debian's apt"),
]


def installed(package: str) -> bool:
    listed = subprocess.run(
        ["dpkg-query", "-W", "-f", "${db:Status-Abbrev}", package],
        capture_output=True,
        text=True,
        check=False,
    )
    return listed.stdout.startswith("ii")


def test_a_program_runs_from_its_package_with_the_libraries_this_machine_lacks(tmp_path):
    if installed("libsnmp40") or installed("libsnmp40t64"):
        pytest.skip("net-snmp's library is installed here: nothing to unpack beside snmp")
    snmp = unpack("snmp", cache_root=tmp_path)
    snmpget = snmp.root / "usr" / "bin" / "snmpget"
    assert any(root.name.startswith("libsnmp40") for root in snmp.roots[1:])

    alone = Program(snmpget, Unpacked(snmp.package, snmp.version, snmp.roots[:1]))
    assert "libnetsnmp.so.40" in alone.missing_libraries()
    with_libraries = Program(snmpget, snmp)
    assert with_libraries.missing_libraries() == []
    ran = subprocess.run(
        [str(snmpget), "--version"],
        env=with_libraries.environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert "NET-SNMP version" in ran.stdout + ran.stderr


def test_parallel_callers_share_one_copy_and_later_ones_need_no_apt(tmp_path, monkeypatch):
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: unpack("snmp", cache_root=tmp_path), range(3)))
    assert len({r.roots for r in results}) == 1
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no leftovers

    empty = tmp_path / "no-programs"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no apt-get, apt-cache nor dpkg from here on
    assert unpack("snmp", cache_root=tmp_path).roots == results[0].roots


def test_the_unpacked_package_records_what_it_is_and_what_it_needs(tmp_path: Path):
    snmp = unpack("snmp", cache_root=tmp_path)
    marker = (snmp.root / ".dotmac-package").read_text()
    assert f"Package: snmp\nVersion: {snmp.version}\n" in marker
    needs = marker.split("Libraries:")[1].split()
    assert [root.name for root in snmp.roots[1:]] == [
        next(p.name for p in tmp_path.iterdir() if p.name.startswith(f"{lib}-")) for lib in needs
    ]
