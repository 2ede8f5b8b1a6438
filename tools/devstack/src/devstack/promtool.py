"""``promtool``, to check the platform's Prometheus rules (``deploy/observability/alerts.yml``).

It comes from Debian's ``prometheus`` package, unpacked once into
``.dotmac/tools/prometheus-<version>/`` by ``devstack.debian`` (no install, no service started);
``promtool_binary()`` answers its path. A ``promtool`` already on PATH is used as it is.
"""

from __future__ import annotations

from pathlib import Path

from devstack.debian import DEFAULT_CACHE_ROOT, REPO_ROOT, DebianPackageUnavailable, program

__all__ = ["DEFAULT_CACHE_ROOT", "PACKAGE", "REPO_ROOT", "PromtoolNotAvailable", "promtool_binary"]

PACKAGE = "prometheus"


class PromtoolNotAvailable(DebianPackageUnavailable):
    """Neither a promtool on PATH nor Debian's package to take it from."""


def promtool_binary(cache_root: Path | None = None) -> Path:
    try:
        return program("promtool", PACKAGE, cache_root=cache_root).path
    except DebianPackageUnavailable as error:
        raise PromtoolNotAvailable(str(error)) from error
