"""The dev stack behind ``make up`` / ``make down`` / ``make status``.

State lives in ``.dotmac/`` at the repository root (the nearest parent of the working directory
holding a ``Makefile`` and ``services/``), or in the directory named by ``DOTMAC_HOME``:

* ``run/<component>.pid`` — PID on the first line, the exact command line (JSON) on the second.
  ``down`` only signals a PID whose live command line is still that one: stale PID files after
  a reboot can name unrelated processes, and nothing is ever killed by program name.
* ``logs/<component>.log`` (and ``logs/<service>-migrate.log``).
* ``nats/``, ``postgres/``, ``temporal.db``, ``caddy/`` — data kept across restarts;
  ``demo-fleet/`` — the simulated devices' data files, written at each start.
* ``secrets/`` — the dev stack's own secrets, made on first use (readable by the owner only).

Start order: Postgres, NATS, Temporal, the fakes of outside APIs (mail, moto, localstripe) and
the demo fleet (simulated SNMP devices, ``devstack.demo_fleet``) in parallel; billing's webhook
registered with localstripe; every service's migrations in parallel (each must exit 0); the
services in parallel; the Caddy gateway last, so a URL printed at the end answers. Running
``up`` again keeps whatever is already running and ready. Ports: see ``devstack.wiring`` (all
overridable through environment variables).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType

from devstack.components import (
    Caddy,
    Component,
    ComponentError,
    LocalStripe,
    MailSink,
    MotoServer,
    NatsServer,
    Postgres,
    ServiceProcess,
    TemporalDevServer,
)
from devstack.demo_fleet import DemoFleet, loopback_network_usable
from devstack.phoenix import Phoenix
from devstack.process import cmdline_matches, describe_exit, pid_alive
from devstack.state import StackError, StatePaths
from devstack.wiring import (
    API_SERVICES,
    BACKGROUND_NICENESS,
    PROCESSES,
    SEARCH_ATTRIBUTES,
    Ports,
    Service,
    api_upstreams,
    docs_urls,
    gateway_routes,
    process_environment,
    service_environment,
)

__all__ = [
    "Ports",
    "Stack",
    "StackError",
    "StatePaths",
    "gateway_routes",
    "service_environment",
]

INFRA_READY_TIMEOUT = 60.0


def new_fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def new_webhook_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


NAME_WIDTH = max(len(s.name) for s in PROCESSES)  # aligns the per-component lines
DEV_SHARED_BUFFERS = "1GB"
"""Postgres's own cache. At its default (128 MB) the bench's 500k customers (~880 MB with
their history and indexes) did not fit: a third of the blocks a request touched were copied
in from the OS's cache, about 40 a request, each a system call and an eviction. Memory is
taken as it is used, so a small stack costs no more."""
SERVICE_READY_TIMEOUT = 120.0  # six Python services importing in parallel on two cores
MIGRATE_TIMEOUT = 300.0
DEV_AWS = {
    "REGISTRATION_PLACEMENTS": '{"eu-west-1": "aws"}',
    "PROVISIONING_AWS_IMAGE_ID": "ami-12c6146b",  # one of the images moto knows
}
"""The dev stack places ISPs registered in eu-west-1 on the aws provider, against moto."""
STRIPE_WEBHOOK_ID = "dotmac-billing"
STRIPE_WEBHOOK_PATH = "/api/v1/billing/stripe/webhook"
"""Where localstripe delivers its events: billing's own port, not the gateway."""


class Stack:
    """The whole platform on 127.0.0.1: infrastructure, services, gateway."""

    def __init__(
        self,
        ports: Ports,
        state: StatePaths,
        out: Callable[[str], None] = print,
        *,
        traces: bool = False,
    ):
        self.ports = ports
        self.state = state
        self.out = out
        logs = state.logs_dir
        self.postgres = Postgres(
            ports.postgres,
            state.home / "postgres",
            log_path=logs / "postgres.log",
            shared_buffers=DEV_SHARED_BUFFERS,
        )
        self.nats = NatsServer(
            ports.nats, ports.nats_monitor, state.home / "nats", logs / "nats.log"
        )
        self.temporal = TemporalDevServer(
            ports.temporal,
            ports.temporal_ui,
            ports.temporal_http,
            ports.temporal_metrics,
            db_file=state.home / "temporal.db",
            search_attributes=SEARCH_ATTRIBUTES,
            headless=False,
            log_path=logs / "temporal.log",
        )
        self.mail = MailSink(ports.smtp, state.home / "mail", log_path=logs / "mail.log")
        self.aws = MotoServer(ports.aws, logs / "moto.log")
        self.stripe = LocalStripe(ports.stripe, logs / "localstripe.log")
        self.mail.niceness = self.stripe.niceness = BACKGROUND_NICENESS  # billing's, webhooks'
        self.stripe_webhook_secret = state.secret("stripe-webhook-secret", new_webhook_secret)
        # Demo ISPs' devices answer from it. Without loopback addresses past 127.0.0.1 (macOS),
        # none: demo devices then keep addresses nothing answers, as in production.
        self.demo_fleet = (
            DemoFleet(ports.demo_snmp, state.home / "demo-fleet", logs / "demo-fleet.log")
            if loopback_network_usable()
            else None
        )
        # Also when an earlier `up --traces` left it running: `down` and `status` find it.
        self.phoenix = (
            Phoenix(ports.traces, ports.traces_grpc, state.home / "phoenix", logs / "phoenix.log")
            if traces or state.pid_file("phoenix").exists()
            else None
        )
        env = {
            **service_environment(ports),
            **DEV_AWS,
            **self.aws.client_environment(),
            "DOTMAC_DEVICE_SECRETS_KEYS": state.secret("device-secrets-keys", new_fernet_key),
            **(self.phoenix.otlp_environment() if self.phoenix else {}),
        }
        own_env = {  # by module: a service's replicas have the same
            "billing": {
                **self.stripe.client_environment(),
                "BILLING_STRIPE_WEBHOOK_SECRET": self.stripe_webhook_secret,
            },
            "tenant_api": self.demo_fleet.settings() if self.demo_fleet else {},
        }
        # The developer's own pool size, if set, wins over each service's.
        pools = "DOTMAC_DATABASE_CONNECTIONS" not in os.environ
        self.services = {}
        for s in PROCESSES:
            shared = {**env, **own_env.get(s.module, {})}
            if pools:
                shared |= s.pool_environment
            process = ServiceProcess(
                s.name,
                [sys.executable, *s.command],
                process_environment(s, ports, shared),
                f"http://127.0.0.1:{ports.service(s.name)}/healthz",
                logs,
                cwd=state.repo_root,
            )
            process.niceness = BACKGROUND_NICENESS if s.background else 0
            self.services[s.name] = process
        self.caddy = Caddy(
            ports.gateway,
            ports.caddy_admin,
            gateway_routes(ports),
            state.home / "caddy",
            log_path=logs / "caddy.log",
            tenant_api=api_upstreams(ports, "tenant-api"),
            web_app=f"127.0.0.1:{ports.service('webapp')}",
        )
        self.started: list[Component] = []  # by this invocation, in start order
        self.adopted: list[Component] = []

    @property
    def infrastructure(self) -> list[Component]:
        found = [self.postgres, self.nats, self.temporal, self.mail, self.aws, self.stripe]
        optional = [self.demo_fleet, self.phoenix]
        return [*found, *(c for c in optional if c is not None)]

    @property
    def stripe_webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.service('billing')}{STRIPE_WEBHOOK_PATH}"

    def register_stripe_webhook(self) -> None:
        """localstripe keeps webhooks in memory: (re-)register billing's on every ``up``."""
        self.stripe.register_webhook(
            STRIPE_WEBHOOK_ID, self.stripe_webhook_url, self.stripe_webhook_secret
        )

    @property
    def components(self) -> list[Component]:
        """All components in start order (``down`` walks it backwards)."""
        return [*self.infrastructure, *self.services.values(), self.caddy]

    # --- up ---------------------------------------------------------------------------------

    def _bring_up(self, group: Sequence[Component], timeout: float) -> None:
        """Start (in parallel) whatever in ``group`` is not already running; wait until ready."""
        to_start: list[Component] = []
        for c in group:
            pid = self.state.recorded_process(c)
            if pid is None:
                self.state.remove_pid(c.name)
                to_start.append(c)
                continue
            record = self.state.read_pid(c.name)
            if record and record[1] != c.command():
                raise StackError(
                    f"{c.name} (PID {pid}) runs with a different configuration than requested; "
                    "run `python -m devstack down` first"
                )
            c.attach(pid, record[1] if record else None)
            self.adopted.append(c)
            c.wait_ready(timeout)
            self.out(f"  {c.name:<{NAME_WIDTH}} already running (PID {pid})")
        errors: list[str] = []
        launched: list[Component] = []
        spawned: dict[str, float] = {}

        def launch(c: Component) -> None:
            # Only the spawn (and initdb) runs in threads: readiness is awaited below, in the
            # main thread, so a Ctrl-C there still knows every process that was started.
            try:
                c.start()
            except (ComponentError, OSError, ValueError) as exc:
                errors.append(self._explain(exc))
                return
            spawned[c.name] = time.monotonic()
            self.started.append(c)
            launched.append(c)
            self.state.write_pid(c)

        threads = [threading.Thread(target=launch, args=(c,), daemon=True) for c in to_start]
        began = time.monotonic()
        for t in threads:
            t.start()
        try:
            for t in threads:
                t.join()
        except KeyboardInterrupt:
            for t in threads:
                t.join()
            raise
        for c in launched:
            # From its own spawn: a first-time install in one component's start (snmpsim,
            # Phoenix) must not eat the time another has to get ready after it.
            try:
                c.wait_ready(max(1.0, timeout - (time.monotonic() - spawned[c.name])))
            except ComponentError as exc:
                errors.append(self._explain(exc))
                continue
            took = time.monotonic() - began
            self.out(f"  {c.name:<{NAME_WIDTH}} ready (PID {c.pid}, {took:.1f} s)")
        if errors:
            raise StackError("\n\n".join(errors))

    def _explain(self, exc: BaseException) -> str:
        text = str(exc)
        if "already in use" in text:
            for port in sorted({*self._all_ports()}):
                if f":{port} is already in use" in text and (var := self.ports.variable_for(port)):
                    text += f"\n(set {var} to use another port, or stop what listens there)"
        return text

    def _all_ports(self) -> Iterator[int]:
        for c in self.components:
            yield from c.ports()

    def migrate(self, services: Sequence[Service]) -> None:
        """Run every ``python -m <module> migrate`` in parallel; all must exit 0."""
        if not services:
            return
        env = {**os.environ, **service_environment(self.ports)}
        self.state.logs_dir.mkdir(parents=True, exist_ok=True)
        running: list[tuple[Service, subprocess.Popen[bytes], Path]] = []
        for s in services:
            log_path = self.state.logs_dir / f"{s.name}-migrate.log"
            with open(log_path, "wb") as log:
                proc = subprocess.Popen(
                    [sys.executable, "-m", s.module, "migrate"],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=self.state.repo_root,
                    start_new_session=True,
                )
            running.append((s, proc, log_path))
        failures: list[str] = []
        deadline = time.monotonic() + MIGRATE_TIMEOUT
        for s, proc, log_path in running:
            try:
                code = proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                code = None
            except KeyboardInterrupt:  # leave no migration running behind us
                for _, other, _ in running:
                    if other.poll() is None:
                        other.kill()
                        other.wait()
                raise
            if code == 0:
                self.out(f"  {s.name:<{NAME_WIDTH}} migrated")
                continue
            how = describe_exit(code) if code is not None else "timed out (killed)"
            tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-30:])
            failures.append(
                f"{s.name}: `python -m {s.module} migrate` {how}\n"
                f"--- last lines of {log_path} ---\n{tail}\n--- end of log ---"
            )
        if failures:
            raise StackError("migrations failed:\n\n" + "\n\n".join(failures))

    def up(self, detach: bool = False) -> int:
        """Bring everything up; in the foreground, stay until Ctrl-C/SIGTERM, then stop it."""
        self.state.logs_dir.mkdir(parents=True, exist_ok=True)
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
        try:
            try:
                self.out(f"Starting DotMac (state in {self.state.home})")
                self._bring_up(self.infrastructure, INFRA_READY_TIMEOUT)
                self.register_stripe_webhook()
                pending = [
                    s
                    for s in API_SERVICES
                    if self.state.recorded_process(self.services[s.name]) is None
                ]
                self.migrate(pending)
                self._bring_up(list(self.services.values()), SERVICE_READY_TIMEOUT)
                self._bring_up([self.caddy], INFRA_READY_TIMEOUT)
            except (StackError, ComponentError) as exc:
                self.out(f"\nERROR: {exc}\n")
                self._stop_started("Stopping what this run started")
                return 1
            except KeyboardInterrupt:
                self._stop_started("Interrupted; stopping what this run started")
                return 130
            self._print_summary()
            if detach:
                self.out("Running in the background; `make down` stops it.")
                return 0
            self.out("Press Ctrl-C to stop.")
            try:
                self._watch()
            except KeyboardInterrupt:
                pass
            self._stop_started("Stopping")
            if self.adopted:
                names = ", ".join(c.name for c in self.adopted)
                self.out(
                    f"Left running (started by an earlier `up`; `make down` stops them): {names}"
                )
            return 0
        finally:
            signal.signal(signal.SIGTERM, previous)

    def _watch(self) -> None:
        """Foreground loop: report loudly any component that dies, keep the rest running."""
        dead: set[str] = set()
        while True:
            time.sleep(1)
            for c in self.started + self.adopted:
                if c.name in dead or c.is_running():
                    continue
                dead.add(c.name)
                self.state.remove_pid(c.name)
                bar = "!" * 78
                self.out(
                    f"\n{bar}\n!!! {c.name} (PID {c.pid}) DIED: it {describe_exit(c.returncode)}"
                    + f" — the stack is degraded.\n--- last lines of {c.log_path} ---\n"
                    + f"{c.log_tail()}\n{bar}\n"
                    + "Ctrl-C stops everything; `make up` in another terminal restarts it.\n"
                )

    def _stop_started(self, title: str) -> None:
        if not self.started:
            return
        self.out(f"{title}...")
        with _interrupts_deferred(self.out):
            for c in reversed(self.started):
                pid, was_running = c.pid, c.is_running()
                try:
                    c.stop()
                    done = "stopped" if was_running else "had already exited"
                    self.out(f"  {c.name:<{NAME_WIDTH}} {done} (PID {pid})")
                except ComponentError as exc:
                    self.out(f"  {c.name:<{NAME_WIDTH}} could not be stopped: {exc}")
                    continue
                self.state.remove_pid(c.name)
            self.started.clear()

    def _print_summary(self) -> None:
        p = self.ports
        lines = ["", "DotMac is up.", f"  Gateway       {self.caddy.url}", "  API docs"]
        lines += [f"    {name:<{NAME_WIDTH}} {url}" for name, url in docs_urls(p).items()]
        lines += [
            f"  Temporal UI   {self.temporal.ui_url}  (gRPC {self.temporal.address})",
            f"  NATS          {self.nats.url}  (monitor {self.nats.monitor_url})",
            f"  Postgres      {self.postgres.url}",
            f"  Caddy admin   {self.caddy.admin_url}",
            f"  Mail          smtp://127.0.0.1:{self.ports.smtp}, kept in {self.mail.maildir}",
            f"  AWS (moto)    {self.aws.url}  (ISPs registered in eu-west-1 are placed there)",
            f"  Stripe        {self.stripe.url}  (localstripe; its events go to billing)",
            *(
                [
                    f"  Demo devices  SNMP v2c on {self.demo_fleet.network[1]}-"
                    f"{self.demo_fleet.network[-2]} UDP {self.demo_fleet.port}  (demo ISPs' "
                    "devices answer from it)"
                ]
                if self.demo_fleet
                else []
            ),
            *(
                [f"  Traces        {self.phoenix.url}  (Phoenix; every service's spans)"]
                if self.phoenix
                else []
            ),
            f"  Logs          {self.state.logs_dir}",
            "",
        ]
        self.out("\n".join(lines))

    # --- down / status ----------------------------------------------------------------------

    def down(self) -> int:
        """Stop every component whose PID file names a live process still running that command."""
        stopped = 0
        with _interrupts_deferred(self.out):
            for c in reversed(self.components):
                record = self.state.read_pid(c.name)
                if record is None:
                    continue
                pid, argv = record
                if not pid_alive(pid):
                    self.out(f"  {c.name:<{NAME_WIDTH}} not running (stale PID file removed)")
                elif not argv or not cmdline_matches(pid, argv):
                    self.out(
                        f"  {c.name:<{NAME_WIDTH}} PID {pid} no longer runs {c.name}; left alone"
                    )
                else:
                    c.attach(pid, argv)
                    try:
                        c.stop()
                    except ComponentError as exc:
                        self.out(f"  {c.name:<{NAME_WIDTH}} could not be stopped: {exc}")
                        continue
                    self.out(f"  {c.name:<{NAME_WIDTH}} stopped (PID {pid})")
                    stopped += 1
                self.state.remove_pid(c.name)
        self.out("Nothing was running." if stopped == 0 else f"Stopped {stopped} component(s).")
        return 0

    def status(self) -> int:
        """One line per component; exit code 0 only if everything runs and answers."""
        healthy = True
        for c in self.components:
            pid = self.state.recorded_process(c)
            if pid is None:
                healthy = False
                self.out(f"  {c.name:<{NAME_WIDTH}} stopped")
                continue
            try:
                ready = c.probe()
            except Exception:
                ready = False
            healthy = healthy and ready
            state = "ready" if ready else "running but NOT answering"
            self.out(f"  {c.name:<{NAME_WIDTH}} {state} (PID {pid}, log {c.log_path})")
        return 0 if healthy else 1


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _interrupts_deferred(out: Callable[[str], None]) -> Iterator[None]:
    """While stopping, a second Ctrl-C must not abandon half the processes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def notice(signum: int, frame: FrameType | None) -> None:
        out("  (still stopping; please wait)")

    old_int = signal.signal(signal.SIGINT, notice)
    old_term = signal.signal(signal.SIGTERM, notice)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)
