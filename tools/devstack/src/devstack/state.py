"""The dev stack's state directory and PID files.

A PID file holds the PID on its first line and the exact command line (JSON) on its second.
The command line is what makes PID files safe: after a reboot or a crash a stale PID can name
an unrelated process, so a PID is only trusted (adopted by ``up``, signalled by ``down``) while
``/proc/<pid>/cmdline`` still equals the recorded command line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from devstack.process import Component, cmdline_matches, pid_alive


class StackError(RuntimeError):
    """The stack could not be brought up; the message says which part and why."""


@dataclass(frozen=True)
class StatePaths:
    """Where the dev stack keeps PID files (``run/``), logs (``logs/``) and data."""

    home: Path
    repo_root: Path | None

    @classmethod
    def locate(cls, cwd: Path | None = None) -> StatePaths:
        """``$DOTMAC_HOME`` if set, else ``.dotmac/`` in the nearest parent of ``cwd`` holding a
        ``Makefile`` and ``services/`` (the repository root)."""
        explicit = os.environ.get("DOTMAC_HOME")
        start = (cwd or Path.cwd()).resolve()
        root = next(
            (
                d
                for d in (start, *start.parents)
                if (d / "Makefile").is_file() and (d / "services").is_dir()
            ),
            None,
        )
        if explicit:
            return cls(Path(explicit).resolve(), root)
        if root is None:
            raise StackError(
                f"no DotMac checkout above {start} (a directory with a Makefile and services/); "
                "run from inside the repository or set DOTMAC_HOME to a state directory"
            )
        return cls(root / ".dotmac", root)

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    def secret(self, name: str, make: Callable[[], str]) -> str:
        """The dev stack's own secret `name` (in ``secrets/``, readable by its owner only), made
        by `make` the first time and kept across restarts: what it sealed stays readable."""
        path = self.home / "secrets" / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.touch(mode=0o600)
            path.write_text(make())
        return path.read_text().strip()

    def pid_file(self, name: str) -> Path:
        return self.run_dir / f"{name}.pid"

    def write_pid(self, c: Component) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.pid_file(c.name).write_text(f"{c.pid}\n{json.dumps(c.argv)}\n")

    def read_pid(self, name: str) -> tuple[int, list[str]] | None:
        """(PID, recorded command line) or None if there is no readable PID file."""
        try:
            lines = self.pid_file(name).read_text().splitlines()
            argv = list(json.loads(lines[1])) if len(lines) > 1 else []
            return int(lines[0]), argv
        except (OSError, ValueError, IndexError):
            return None

    def remove_pid(self, name: str) -> None:
        self.pid_file(name).unlink(missing_ok=True)

    def recorded_process(self, c: Component) -> int | None:
        """PID from the component's PID file if it still runs the recorded command line."""
        record = self.read_pid(c.name)
        if record is None:
            return None
        pid, argv = record
        if argv and pid_alive(pid) and cmdline_matches(pid, argv):
            return pid
        return None
