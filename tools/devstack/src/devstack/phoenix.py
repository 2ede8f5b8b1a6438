"""Arize Phoenix, the trace viewer `make up TRACES=1` starts: it takes the services' spans over
OTLP/HTTP and shows each registration as one trace.

Phoenix and its dependencies (~850 MB) go into a virtualenv of their own under
``.dotmac/tools/phoenix-<version>/``, made on first use (about a minute), so that the platform's
environment stays as small as it is without it. ``python -m devstack.phoenix serve`` runs it
bound to 127.0.0.1: its web UI and OTLP/HTTP endpoint on ``PHOENIX_PORT``, and its OTLP/gRPC
receiver, which Phoenix binds to every interface itself, moved to loopback too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from devstack.process import Component

VERSION = "20.26.1"
LAUNCHER = '''"""Runs in Phoenix's own virtualenv (written there by devstack.phoenix):
`phoenix serve`,
with its OTLP/gRPC receiver on 127.0.0.1 instead of every interface (Phoenix has no setting
for it)."""

import sys

import grpc.aio

_make_server = grpc.aio.server


def _loopback_server(*args, **kwargs):
    server = _make_server(*args, **kwargs)
    add_insecure_port = server.add_insecure_port
    server.add_insecure_port = lambda address: add_insecure_port(
        address.replace("[::]", "127.0.0.1")
    )
    return server


grpc.aio.server = _loopback_server

from phoenix.server.main import main  # after the patch above

sys.argv = ["phoenix", "serve"]
main()
'''
"""The launcher, kept here as text: it imports Phoenix and gRPC, which only Phoenix's own
virtualenv has."""
REPO_ROOT = Path(__file__).resolve().parents[4]
TOOLS = REPO_ROOT / ".dotmac" / "tools"


def phoenix_home(tools: Path = TOOLS) -> Path:
    return tools / f"phoenix-{VERSION}"


def phoenix_python(tools: Path = TOOLS) -> Path:
    """The interpreter of Phoenix's own virtualenv, made and filled on first use, with the
    launcher written next to it."""
    home = phoenix_home(tools)
    python = home / "bin" / "python"
    (home / "launcher").mkdir(parents=True, exist_ok=True)
    (home / "launcher" / "devstack_phoenix_launcher.py").write_text(LAUNCHER)
    if (home / ".installed").exists():
        return python
    subprocess.run([sys.executable, "-m", "venv", str(home)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", f"arize-phoenix=={VERSION}"],
        check=True,
    )
    (home / ".installed").write_text(VERSION)
    return python


class Phoenix(Component):
    def __init__(self, port: int, grpc_port: int, working_dir: Path, log_path: Path) -> None:
        self.port, self.grpc_port, self.working_dir = port, grpc_port, Path(working_dir)
        super().__init__("phoenix", log_path)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def otlp_environment(self) -> dict[str, str]:
        """What makes a service send its spans here (servicekit adds /v1/traces)."""
        return {"DOTMAC_OTLP_ENDPOINT": self.url}

    def ports(self) -> list[int]:
        return [self.port, self.grpc_port]

    def prepare(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.working_dir.mkdir(parents=True, exist_ok=True)

    def command(self) -> list[str]:
        return [str(phoenix_python()), "-m", "devstack_phoenix_launcher"]

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "PHOENIX_HOST": "127.0.0.1",
            "PHOENIX_PORT": str(self.port),
            "PHOENIX_GRPC_PORT": str(self.grpc_port),
            "PHOENIX_WORKING_DIR": str(self.working_dir),
            "PYTHONPATH": str(phoenix_home() / "launcher"),
        }

    def probe(self) -> bool:
        try:
            with httpx.Client(timeout=1.0, trust_env=False) as client:
                return client.get(f"{self.url}/healthz").status_code == 200
        except httpx.HTTPError:
            return False
