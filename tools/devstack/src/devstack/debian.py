"""Programs taken from Debian packages without installing them: ``promtool``, ``snmpd``,
``snmptrap``, ``prometheus-snmp-exporter``.

A package is downloaded (``apt-get download``: no install, no maintainer script, no service
started) and unpacked once (``dpkg-deb -x``) into ``.dotmac/tools/<package>-<version>/``, so a
fresh Debian machine gets what the dev stack and the tests need without root doing an install.
A program whose shared libraries are not on the machine gets their packages unpacked too (each
in its own directory, shared by every program that needs it) and runs with ``LD_LIBRARY_PATH``
pointing at them: ``program()`` answers the binary and the environment to run it in. A binary
already on PATH is used as it is, with the machine's own libraries.

Which library packages a program needs is what ``apt-cache depends`` says, followed through
packages of Debian's ``libs`` section that are not installed here; the answer is written into
the unpacked directory (``.dotmac-package``) so later runs need no apt at all.

Unpacking goes into a temporary directory next to the target and is renamed into place, so
concurrent callers (parallel test sessions) never see half a package: the first rename wins and
the others throw their copy away.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[4]
DEFAULT_CACHE_ROOT = REPO_ROOT / ".dotmac" / "tools"
MARKER = ".dotmac-package"
LIBRARY_SECTIONS = {"libs", "oldlibs"}
PROGRAM_DIRS = ("usr/bin", "usr/sbin", "bin", "sbin")
SYSTEM_PROGRAM_DIRS = ("/usr/local/sbin", "/usr/sbin", "/sbin")
"""Searched after PATH: a non-root PATH often lacks the sbin directories daemons live in."""

_DEPENDENCY = re.compile(r"^\s*(\|)?(?:Pre)?Depends:\s+(\S+)")
_PROVIDER = re.compile(r"^\s{4}(\S+)\s*$")


class DebianPackageUnavailable(RuntimeError):
    """The program is not on PATH, and its Debian package could not be had (no apt here, no
    such package, or the download failed)."""


@dataclass(frozen=True)
class Unpacked:
    """A package unpacked under ``roots[0]``, and the library packages it needs under the rest."""

    package: str
    version: str
    roots: tuple[Path, ...]

    @property
    def root(self) -> Path:
        return self.roots[0]

    def find(self, relative: str) -> Path | None:
        """``relative`` (e.g. ``usr/share/snmp/mibs``) in the first root that has it."""
        for root in self.roots:
            if (root / relative).exists():
                return root / relative
        return None

    def library_dirs(self) -> list[Path]:
        found: list[Path] = []
        for root in self.roots:
            for pattern in ("usr/lib/*-linux-gnu*", "lib/*-linux-gnu*", "usr/lib", "lib"):
                found.extend(
                    d for d in sorted(root.glob(pattern)) if d.is_dir() and any(d.glob("*.so*"))
                )
        return found


@dataclass(frozen=True)
class Program:
    """An executable and, when it was unpacked rather than found installed, its packages."""

    path: Path
    unpacked: Unpacked | None = None

    def environment(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """``base`` (the process's environment by default) with the unpacked libraries first on
        ``LD_LIBRARY_PATH``."""
        env = dict(os.environ if base is None else base)
        if self.unpacked is not None:
            dirs = [str(d) for d in self.unpacked.library_dirs()]
            if env.get("LD_LIBRARY_PATH"):
                dirs.append(env["LD_LIBRARY_PATH"])
            if dirs:
                env["LD_LIBRARY_PATH"] = os.pathsep.join(dirs)
        return env

    def missing_libraries(self) -> list[str]:
        """Shared libraries the dynamic loader cannot find for it (none for a static binary)."""
        if shutil.which("ldd") is None:
            return []
        checked = subprocess.run(
            ["ldd", str(self.path)],
            capture_output=True,
            text=True,
            env=self.environment(),
            timeout=30,
            check=False,
        )
        return [
            line.split("=>")[0].strip()
            for line in checked.stdout.splitlines()
            if "not found" in line
        ]


def program(name: str, package: str, *, cache_root: Path | None = None) -> Program:
    """``name`` from PATH (or the sbin directories) if it is installed, else from ``package``
    unpacked with the libraries it needs."""
    search = os.pathsep.join([os.environ.get("PATH", os.defpath), *SYSTEM_PROGRAM_DIRS])
    installed = shutil.which(name, path=search)
    if installed:
        return Program(Path(installed))
    unpacked = unpack(package, cache_root=cache_root)
    for directory in PROGRAM_DIRS:
        candidate = unpacked.root / directory / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            found = Program(candidate, unpacked)
            missing = found.missing_libraries()
            if missing:
                raise DebianPackageUnavailable(
                    f"{candidate} still lacks {', '.join(missing)} with the libraries of "
                    f"{', '.join(r.name for r in unpacked.roots[1:]) or 'no other package'}"
                )
            return found
    raise DebianPackageUnavailable(f"Debian's {package} package has no program {name}")


def unpack(
    package: str, *, with_libraries: bool = True, cache_root: Path | None = None
) -> Unpacked:
    """``package`` unpacked (downloaded on first use), with the library packages it needs that
    this machine lacks."""
    root_dir = Path(cache_root) if cache_root is not None else DEFAULT_CACHE_ROOT
    top = _cached(root_dir, package)
    if top is None:
        libraries = _library_closure(package) if with_libraries else []
        wanted = [package, *(lib for lib in libraries if _cached(root_dir, lib) is None)]
        made = _download_and_unpack(root_dir, wanted, {package: libraries})
        top = made[package]
    name, version, libraries = _read_marker(top, package)
    roots = [top]
    if with_libraries:
        absent = [lib for lib in libraries if _cached(root_dir, lib) is None]
        if absent:
            _download_and_unpack(root_dir, absent, {})
        for lib in libraries:
            found = _cached(root_dir, lib)
            if found is None:
                raise DebianPackageUnavailable(f"{lib} (needed by {package}) did not unpack")
            roots.append(found)
    return Unpacked(name, version, tuple(roots))


# --- the cache -------------------------------------------------------------------------------


def directory_name(package: str, version: str) -> str:
    """``prometheus-2.42.0-ds-5-deb12u1`` for ``prometheus`` ``2.42.0+ds-5+deb12u1``."""
    return f"{package}-{re.sub(r'[+~:]', '-', version)}"


def _cached(root: Path, package: str) -> Path | None:
    """The newest unpacked ``package`` under ``root`` (temporary dirs start with a dot)."""
    matches = []
    for candidate in root.glob(f"{package}-[0-9]*"):
        if not candidate.is_dir():
            continue
        marker = candidate / MARKER
        # a directory without a marker predates it (promtool's): its name alone says what it is
        if not marker.exists() or _read_marker(candidate, package)[0] == package:
            matches.append(candidate)
    return sorted(matches)[-1] if matches else None


def _read_marker(directory: Path, package: str) -> tuple[str, str, list[str]]:
    fields: dict[str, str] = {}
    marker = directory / MARKER
    if marker.exists():
        for line in marker.read_text().splitlines():
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
    version = fields.get("Version", directory.name.removeprefix(f"{package}-"))
    return fields.get("Package", package), version, fields.get("Libraries", "").split()


def _download_and_unpack(
    root: Path, packages: Sequence[str], libraries: Mapping[str, Sequence[str]]
) -> dict[str, Path]:
    """Download ``packages`` in one go and unpack each into ``root/<package>-<version>``."""
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise DebianPackageUnavailable(
            f"cannot fetch {', '.join(packages)}: apt-get and dpkg-deb are missing (not Debian?)"
        )
    root.mkdir(parents=True, exist_ok=True)
    made: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(dir=root, prefix=".download-") as download:
        fetched = subprocess.run(
            ["apt-get", "download", *packages],
            cwd=download,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if fetched.returncode != 0:
            raise DebianPackageUnavailable(
                f"apt-get download {' '.join(packages)} failed: {fetched.stderr.strip()}"
            )
        for deb in sorted(Path(download).glob("*.deb")):
            name, version = _control_fields(deb)
            made[name] = _unpack_one(root, deb, name, version, libraries.get(name, ()))
    missing = [p for p in packages if p not in made]
    if missing:
        raise DebianPackageUnavailable(f"apt-get download gave no {', '.join(missing)}")
    return made


def _control_fields(deb: Path) -> tuple[str, str]:
    shown = subprocess.run(
        ["dpkg-deb", "--field", str(deb), "Package", "Version"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    fields = dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in shown.stdout.splitlines())
    )
    return fields["Package"], fields["Version"]


def _unpack_one(
    root: Path, deb: Path, package: str, version: str, libraries: Iterable[str]
) -> Path:
    target = root / directory_name(package, version)
    if target.exists():
        return target
    unpacking = Path(tempfile.mkdtemp(prefix=f".{package}-", dir=root))
    try:
        subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacking)], check=True, timeout=300)
        (unpacking / MARKER).write_text(
            f"Package: {package}\nVersion: {version}\nLibraries: {' '.join(libraries)}\n"
        )
        unpacking.chmod(0o755)  # mkdtemp's 0700 would hide it from the users programs run as
        unpacking.rename(target)
    except OSError:
        if not target.exists():
            raise
        # another process renamed its copy into place first: use that one
    finally:
        if unpacking.exists():
            shutil.rmtree(unpacking)
    return target


# --- what a package needs --------------------------------------------------------------------


def _library_closure(package: str) -> list[str]:
    """The packages of the ``libs`` section ``package`` depends on, directly or through one
    another, that are not installed on this machine (what its binaries may lack)."""
    if shutil.which("apt-cache") is None:
        raise DebianPackageUnavailable(f"cannot fetch {package}: apt-cache is missing")
    depends = _dependency_graph(package)
    everything = {name for groups in depends.values() for group in groups for name in group}
    installed = _installed(everything)
    sections = _sections(sorted(everything - installed))
    wanted: list[str] = []
    seen = {package}
    frontier = [package]
    while frontier:  # breadth first, through the libraries only
        following = []
        for name in frontier:
            for group in depends.get(name, []):
                if any(alternative in installed for alternative in group):
                    continue
                choice = group[0]
                if choice not in seen and sections.get(choice) in LIBRARY_SECTIONS:
                    seen.add(choice)
                    following.append(choice)
        wanted.extend(following)
        frontier = following
    return wanted


def _dependency_graph(package: str) -> dict[str, list[list[str]]]:
    """Depends and Pre-Depends of ``package`` and of everything it pulls in, per package, each
    a list of alternatives (a virtual package replaced by the packages providing it)."""
    shown = subprocess.run(
        ["apt-cache", "depends", "--recurse", "--important", package],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if shown.returncode != 0:
        raise DebianPackageUnavailable(f"apt-cache knows no {package}: {shown.stderr.strip()}")
    graph: dict[str, list[list[str]]] = {}
    groups: list[list[str]] = []
    continues = False
    for line in shown.stdout.splitlines():
        if line and not line[0].isspace():
            groups = graph.setdefault(line.strip(), [])
            continues = False
            continue
        dependency = _DEPENDENCY.match(line)
        if dependency:
            name = dependency.group(2)
            alternatives = [] if name.startswith("<") else [name]
            if continues:
                groups[-1].extend(alternatives)
            else:
                groups.append(alternatives)
            continues = bool(dependency.group(1))
            continue
        provider = _PROVIDER.match(line)
        if provider and groups:
            groups[-1].append(provider.group(1))
    return {name: [group for group in groups if group] for name, groups in graph.items()}


def _installed(packages: Iterable[str]) -> set[str]:
    names = sorted(packages)
    if not names or shutil.which("dpkg-query") is None:
        return set()
    listed = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package}\t${db:Status-Abbrev}\n", *names],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,  # exits 1 when some are unknown, and still lists the others
    )
    return {
        name.split(":")[0]
        for name, _, status in (line.partition("\t") for line in listed.stdout.splitlines())
        if status.startswith("ii")
    }


def _sections(packages: Sequence[str]) -> dict[str, str]:
    if not packages:
        return {}
    shown = subprocess.run(
        ["apt-cache", "show", "--no-all-versions", *packages],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    sections: dict[str, str] = {}
    current = ""
    for line in shown.stdout.splitlines():
        if line.startswith("Package:"):
            current = line.partition(":")[2].strip()
        elif line.startswith("Section:") and current:
            sections[current] = line.partition(":")[2].strip().rpartition("/")[2]
    return sections
