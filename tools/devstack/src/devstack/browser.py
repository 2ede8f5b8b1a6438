"""A real headless Chromium for the browser tests, and the WCAG check they run in it.

**Which Chromium.** Debian's ``chromium``: ``/usr/bin/chromium`` when it is installed; otherwise
the ``chromium`` and ``chromium-common`` packages unpacked by ``devstack.debian`` (no install,
no root needed), with the library packages this machine lacks (on a bare bookworm image: gtk3,
pulse, flac, opus... about twenty; nss, glib and X11 are usually there already). Playwright is
only the driver: it is given ``executable_path`` and never downloads a browser of its own.

The two packages are put together in ``.dotmac/tools/chromium-browser-<version>/`` (hard
links, so no extra space): Chromium looks for its ``.pak`` resources, ICU data and V8 snapshots
beside its own executable, and Debian ships those in ``chromium-common``. That directory is
assembled in a temporary directory, launched headless once to prove it runs, and only then
renamed into place, so a copy that cannot start never lands in the cache and concurrent test
sessions never see half of one.

First use on a fresh clone takes ~10-15 s on the 2-core CI machines (downloading and unpacking
~350 MB for 23 packages, then one headless launch); after that ``chromium()`` answers at once
and needs no apt.

Should unpacking fail (no such package, a library that still will not load), root with apt-get
falls back to ``apt-get install -y --no-install-recommends chromium``: the machine then has a
system Chromium like the one RECIPES describe, at the price of an install. Anyone else gets
``ChromiumUnavailable`` saying what to install.

**Accessibility.** ``check_accessibility(page)`` runs axe-core (bundled in PyPI's
``axe-playwright-python``) in the page against the WCAG 2.0/2.1 A and AA rules and answers the
violations, each printable: ``assert not violations, report(violations)``.
``focus_order(page)`` answers what the Tab key visits, in order, for keyboard-use tests.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devstack.debian import DEFAULT_CACHE_ROOT, DebianPackageUnavailable, Unpacked, unpack

if TYPE_CHECKING:
    from playwright.async_api import Page

__all__ = [
    "SYSTEM_CHROMIUM",
    "WCAG_21_AA",
    "Chromium",
    "ChromiumUnavailable",
    "Violation",
    "check_accessibility",
    "chromium",
    "chromium_executable",
    "focus_order",
    "launch_options",
    "report",
]

SYSTEM_CHROMIUM = Path("/usr/bin/chromium")
PACKAGES = ("chromium", "chromium-common")
LAUNCH_CHECK_TIMEOUT = 60.0

CHROMIUM_ARGS = (
    # Root cannot use Chromium's sandbox, and the unpacked copy has no setuid sandbox helper.
    "--no-sandbox",
    "--disable-gpu",
    # Nothing but the page under test talks to the network: no updates, sync, safe-browsing
    # lists or QUIC probes that would hang on a machine that reaches only package registries.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
)

WCAG_21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
"""axe-core's tags for the WCAG 2.0 and 2.1 level A and AA success criteria."""


class ChromiumUnavailable(RuntimeError):
    """No Chromium on this machine, and none could be had from Debian's packages."""


@dataclass(frozen=True)
class Chromium:
    """A Chromium executable and the library directories it needs on ``LD_LIBRARY_PATH``
    (none for the system's own)."""

    executable: Path
    library_dirs: tuple[Path, ...] = ()
    origin: str = "system"  # "system", "unpacked" or "apt-get"

    def environment(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ if base is None else base)
        if self.library_dirs:
            dirs = [str(d) for d in self.library_dirs]
            if env.get("LD_LIBRARY_PATH"):
                dirs.append(env["LD_LIBRARY_PATH"])
            env["LD_LIBRARY_PATH"] = os.pathsep.join(dirs)
        return env


@functools.cache
def chromium(cache_root: Path | None = None) -> Chromium:
    """The machine's Chromium, else Debian's unpacked under ``cache_root`` (``.dotmac/tools``),
    else (root with apt-get only) Debian's installed. See the module's docstring."""
    if _runnable(SYSTEM_CHROMIUM):
        return Chromium(SYSTEM_CHROMIUM)
    root = Path(cache_root) if cache_root is not None else DEFAULT_CACHE_ROOT
    try:
        return _unpacked(root)
    except (DebianPackageUnavailable, ChromiumUnavailable) as unpacking:
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            raise ChromiumUnavailable(
                f"no {SYSTEM_CHROMIUM}, and Debian's chromium could not be unpacked "
                f"({unpacking}); install it: apt-get install chromium"
            ) from unpacking
        return _installed_with_apt(unpacking)


def chromium_executable(cache_root: Path | None = None) -> Path:
    """The path to give Playwright as ``executable_path``."""
    return chromium(cache_root).executable


def launch_options(browser: Chromium | None = None, *, headless: bool = True) -> dict[str, Any]:
    """Keyword arguments for Playwright's ``chromium.launch(**launch_options())``."""
    browser = browser or chromium()
    options: dict[str, Any] = {
        "executable_path": str(browser.executable),
        "headless": headless,
        "args": list(CHROMIUM_ARGS),
    }
    if browser.library_dirs:  # Playwright's env replaces the whole environment: pass all of it
        options["env"] = browser.environment()
    return options


# --- getting one -----------------------------------------------------------------------------


def _unpacked(root: Path) -> Chromium:
    program = unpack("chromium", cache_root=root)
    common = unpack("chromium-common", cache_root=root)
    libraries = _library_dirs(program, common)
    target = root / f"chromium-browser-{program.root.name.removeprefix('chromium-')}"
    if not (target / "chromium").exists():
        _assemble(target, program, common, libraries)
    return Chromium(target / "chromium", libraries, "unpacked")


def _library_dirs(*packages: Unpacked) -> tuple[Path, ...]:
    """The directories of the library packages unpacked beside ``packages``, and the private
    ones one level down (libpulse0 keeps ``libpulsecommon`` in ``pulseaudio/``)."""
    found: list[Path] = []
    for package in packages:
        libraries = Unpacked(package.package, package.version, package.roots[1:])
        for directory in libraries.library_dirs():
            found.append(directory)
            found.extend(
                sub
                for sub in sorted(directory.iterdir())
                if sub.is_dir() and any(sub.glob("*.so*"))
            )
    return tuple(dict.fromkeys(found))


def _assemble(target: Path, program: Unpacked, common: Unpacked, libraries: Sequence[Path]) -> None:
    binary = program.root / "usr" / "lib" / "chromium" / "chromium"
    resources = common.root / "usr" / "lib" / "chromium"
    if not binary.is_file() or not resources.is_dir():
        raise ChromiumUnavailable(f"{program.root} or {common.root} lacks usr/lib/chromium")
    building = Path(tempfile.mkdtemp(prefix=".chromium-browser-", dir=target.parent))
    try:
        shutil.copytree(resources, building, dirs_exist_ok=True, copy_function=_link_or_copy)
        _link_or_copy(str(binary), str(building / "chromium"))
        _prove_it_launches(Chromium(building / "chromium", tuple(libraries), "unpacked"))
        building.chmod(0o755)
        building.rename(target)
    except OSError:
        if not (target / "chromium").exists():
            raise
        # another session renamed its copy into place first: use that one
    finally:
        if building.exists():
            shutil.rmtree(building)


def _link_or_copy(source: str, destination: str) -> str:
    try:
        os.link(source, destination)
    except OSError:  # another file system: pay for a copy
        shutil.copy2(source, destination)
    return destination


def _prove_it_launches(browser: Chromium) -> None:
    probe = "data:text/html,<title>probe</title><p id=ok>launched</p>"
    try:
        ran = subprocess.run(
            [str(browser.executable), "--headless", *CHROMIUM_ARGS, "--dump-dom", probe],
            env=browser.environment(),
            capture_output=True,
            text=True,
            timeout=LAUNCH_CHECK_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise ChromiumUnavailable(f"{browser.executable} did not finish a headless page") from error
    if "launched" not in ran.stdout:
        raise ChromiumUnavailable(
            f"{browser.executable} does not run headless (exit {ran.returncode}): "
            f"{ran.stderr.strip()[-1500:]}"
        )


def _installed_with_apt(why: Exception) -> Chromium:
    installed = subprocess.run(
        ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if installed.returncode != 0 or not _runnable(SYSTEM_CHROMIUM):
        raise ChromiumUnavailable(
            f"Debian's chromium could neither be unpacked ({why}) nor installed: "
            f"{installed.stderr.strip()[-1500:]}"
        )
    return Chromium(SYSTEM_CHROMIUM, origin="apt-get")


def _runnable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


# --- accessibility ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """One axe-core rule a page breaks, and where."""

    rule: str  # axe's id: "image-alt", "label", "color-contrast"...
    impact: str | None
    help: str
    help_url: str
    targets: tuple[str, ...] = ()  # CSS selectors of the offending elements
    snippets: tuple[str, ...] = field(default=(), repr=False)

    @classmethod
    def from_axe(cls, raw: Mapping[str, Any]) -> Violation:
        nodes = raw.get("nodes", [])
        return cls(
            rule=raw["id"],
            impact=raw.get("impact"),
            help=raw.get("help", ""),
            help_url=raw.get("helpUrl", ""),
            targets=tuple(" ".join(map(str, node.get("target", []))) for node in nodes),
            snippets=tuple(node.get("html", "").replace("\n", " ") for node in nodes),
        )

    def __str__(self) -> str:
        lines = [f"{self.rule} ({self.impact}): {self.help} <{self.help_url}>"]
        lines.extend(
            f"    {target}: {snippet[:200]}"
            for target, snippet in zip(self.targets, self.snippets, strict=False)
        )
        return "\n".join(lines)


def report(violations: Sequence[Violation]) -> str:
    """The violations as an assertion message a person can act on."""
    if not violations:
        return "no accessibility violations"
    return f"{len(violations)} accessibility violation(s):\n" + "\n".join(map(str, violations))


async def check_accessibility(
    page: Page,
    *,
    rules: Sequence[str] = WCAG_21_AA,
    include: str | None = None,
    disable: Sequence[str] = (),
) -> list[Violation]:
    """Run axe-core in ``page`` and answer the violations of the rules tagged ``rules`` (the
    WCAG 2.1 A and AA criteria by default), optionally within the ``include`` selector and
    without the rule ids in ``disable``. axe is injected over the DevTools protocol, so a
    strict Content-Security-Policy does not stop it."""
    from axe_playwright_python.async_playwright import Axe

    options: dict[str, Any] = {
        "runOnly": {"type": "tag", "values": list(rules)},
        "resultTypes": ["violations"],
    }
    if disable:
        options["rules"] = {rule: {"enabled": False} for rule in disable}
    results = await Axe().run(page, context=include, options=options)
    return [Violation.from_axe(raw) for raw in results.response["violations"]]


async def focus_order(page: Page, *, steps: int = 30) -> list[str]:
    """What the Tab key focuses, in order, from the top of the page: each as its role or tag
    and accessible name (``button "Sign in"``). Stops when focus comes back round."""
    await page.evaluate("() => { document.activeElement?.blur(); window.focus(); }")
    seen: list[str] = []
    for _ in range(steps):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(
            """() => {
                const el = document.activeElement;
                if (!el || el === document.body) return null;
                const labels = el.labels ? Array.from(el.labels).map(l => l.innerText) : [];
                const name = el.getAttribute('aria-label') || labels.join(' ')
                    || el.innerText || el.getAttribute('title') || el.getAttribute('name') || '';
                const kind = el.getAttribute('role') || el.tagName.toLowerCase();
                return `${kind} "${name.trim().replace(/\\s+/g, ' ')}"`;
            }"""
        )
        if focused is None or (seen and focused == seen[0]):
            break
        seen.append(focused)
    return seen
