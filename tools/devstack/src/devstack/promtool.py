"""``promtool``, to check the platform's Prometheus rules (``deploy/observability/alerts.yml``).

It comes from Debian's ``prometheus`` package, which is downloaded (``apt-get download``: no
install, no service started, no root needed for the download itself) and unpacked once into
``.dotmac/tools/prometheus-<version>/``; ``promtool_binary()`` answers its path. A ``promtool``
already on PATH is used as it is.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

PACKAGE = "prometheus"
REPO_ROOT = Path(__file__).resolve().parents[4]
DEFAULT_CACHE_ROOT = REPO_ROOT / ".dotmac" / "tools"


class PromtoolNotAvailable(RuntimeError):
    """Neither a promtool on PATH nor Debian's package to take it from."""


def promtool_binary(cache_root: Path | None = None) -> Path:
    on_path = shutil.which("promtool")
    if on_path:
        return Path(on_path)
    root = Path(cache_root) if cache_root is not None else DEFAULT_CACHE_ROOT
    found = sorted(root.glob(f"{PACKAGE}-*/usr/bin/promtool"))
    if found:
        return found[-1]
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise PromtoolNotAvailable("promtool is not on PATH, and apt-get/dpkg-deb are missing")
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root) as download:
        fetched = subprocess.run(
            ["apt-get", "download", PACKAGE],
            cwd=download,
            capture_output=True,
            text=True,
            timeout=300,
        )
        debs = sorted(Path(download).glob(f"{PACKAGE}_*.deb"))
        if fetched.returncode != 0 or not debs:
            raise PromtoolNotAvailable(f"apt-get download {PACKAGE} failed: {fetched.stderr}")
        version = debs[0].name.split("_")[1].replace("+", "-").replace("~", "-")
        target = root / f"{PACKAGE}-{version}"
        unpacking = Path(tempfile.mkdtemp(prefix=f".{PACKAGE}-", dir=root))
        subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(unpacking)], check=True, timeout=120)
        if target.exists():  # another process unpacked it meanwhile
            shutil.rmtree(unpacking)
        else:
            unpacking.rename(target)
    return target / "usr" / "bin" / "promtool"
