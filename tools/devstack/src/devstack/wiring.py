"""How DotMac's pieces are wired together: ports, service table, service environment, routes.

Kept apart from the process handling so the test suite can build the very same wiring on free
ports (``Ports.free()``) that the dev stack builds on the default ones (``Ports.from_env()``):
one definition of "which environment a service gets" and "which path goes to which service".

Ports, each overridable through its environment variable (defaults are the dev stack's):

==============================  =======  ===========================================
variable                        default  what listens there
==============================  =======  ===========================================
DOTMAC_GATEWAY_PORT             8080     Caddy gateway (every ``/api/v1/...`` path)
DOTMAC_CADDY_ADMIN_PORT         2019     Caddy admin API (on 127.0.0.1 only)
DOTMAC_NATS_PORT                4222     NATS client port (JetStream enabled)
DOTMAC_NATS_MONITOR_PORT        8222     NATS monitoring (``/healthz``, ``/jsz``)
DOTMAC_TEMPORAL_PORT            7233     Temporal frontend gRPC
DOTMAC_TEMPORAL_UI_PORT         8233     Temporal Web UI
DOTMAC_TEMPORAL_HTTP_PORT       7243     Temporal HTTP API
DOTMAC_TEMPORAL_METRICS_PORT    7244     Temporal Prometheus metrics
DOTMAC_POSTGRES_PORT            5433     PostgreSQL (not 5432: a system Postgres keeps its port)
DOTMAC_SMTP_PORT                1025     mail sink (SMTP; every mail kept in a Maildir)
DOTMAC_AWS_PORT                 4566     moto (the AWS APIs)
DOTMAC_STRIPE_PORT              8420     localstripe (Stripe's API; billing's webhooks)
DOTMAC_TRACES_PORT              6006     Phoenix, with ``make up TRACES=1``: traces UI, OTLP/HTTP
DOTMAC_TRACES_GRPC_PORT         4417     Phoenix's OTLP/gRPC receiver (with ``TRACES=1``)
DOTMAC_SNMP_TRAP_PORT           1162     network's SNMP trap receiver (UDP)
DOTMAC_DEMO_SNMP_PORT           1161     demo fleet: simulated devices (UDP, 127.0.0.1-126)
REGISTRATION_PORT               8101     registration service
LICENSING_PORT                  8102     licensing service
PROVISIONING_PORT               8103     provisioning service (API, event consumers)
PROVISIONING_WORKER_PORT        8113     provisioning's Temporal worker (health only)
BILLING_PORT                    8104     billing service
NETWORK_PORT                    8105     network service
TENANT_API_PORT                 8106     tenant-api service
TENANT_API_2_PORT               8116     tenant-api's second API process (``tenant-api-2``)
WEBHOOKS_PORT                   8107     webhooks service (API, fan-out, deliveries)
WEBAPP_PORT                     8108     web app (every page, behind the gateway)
==============================  =======  ===========================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

from devstack.ports import LOCALHOST, free_port


@dataclass(frozen=True)
class Service:
    """One process the stack runs: its name (logs, URLs), Python module and environment prefix.

    ``roles`` are what the process runs (``python -m <module> serve <roles>``): ``api`` (HTTP),
    ``stream`` (event subscribers), ``worker`` (Temporal). A service may run as more than one
    process: ``api=False`` marks an extra process of a service (its Temporal worker, say) that
    shares the service's code and schema but neither migrates nor sits behind the gateway.
    """

    name: str
    module: str
    env_prefix: str
    roles: tuple[str, ...] = ("api", "stream")
    api: bool = True
    connections: int = 10
    """Connections to Postgres the dev stack has the process keep (its
    `DOTMAC_DATABASE_CONNECTIONS`, unless the developer's environment sets one). Ten serve an
    event-driven service on two cores: more only spread a burst's statements over more
    connections, each preparing them anew on a fresh backend (in the first burst of 50
    onboardings after `make up`, Postgres spent about 30% more CPU with 30 per process than
    with 10)."""
    replicas: int = 1
    """Processes serving its API on the dev stack. The first runs all of ``roles``; each other
    one (``<name>-2``...) runs only ``api``, on a port of its own, and the gateway spreads the
    API's requests over all of them (`reverse_proxy`: least connections). Each keeps its own
    pool of ``connections``. What a replica needs to agree with the others (entitlements,
    the tenant directory) it learns from Postgres's NOTIFYs, as a cluster's replicas do."""
    background: bool = False
    """Its work follows what people wait for rather than being part of it (a third party's
    webhook, an ISP's Stripe customer): on the dev stack's shared cores it runs behind the
    others when they are busy (`BACKGROUND_NICENESS`)."""

    @property
    def processes(self) -> tuple[Service, ...]:
        """Its processes on the dev stack: itself, then its extra API replicas, which neither
        migrate nor run its subscribers and workers (``api=False``)."""
        extra = (
            replace(self, name=f"{self.name}-{n}", roles=("api",), api=False, replicas=1)
            for n in range(2, self.replicas + 1)
        )
        return (self, *extra)

    @property
    def pool_environment(self) -> dict[str, str]:
        """The variable that gives the process its pool of ``connections``."""
        return {"DOTMAC_DATABASE_CONNECTIONS": str(self.connections)}

    @property
    def command(self) -> tuple[str, ...]:
        """The arguments after ``python``."""
        return ("-m", self.module, "serve", *self.roles)

    @property
    def port_variable(self) -> str:
        """The stack's variable for this process's port, after its name
        (``PROVISIONING_WORKER_PORT``, ``TENANT_API_2_PORT``...). The process itself is told
        its port in its service's own variable (``process_environment``)."""
        return f"{self.name.upper().replace('-', '_')}_PORT"


SERVICES: tuple[Service, ...] = (
    # One process per service runs its API and its subscribers: on two cores, fewer processes
    # cost less (a cluster may split any of them: each role is an entry point of its own).
    Service("registration", "registration", "REGISTRATION_"),
    Service("licensing", "licensing", "LICENSING_"),
    # Provisioning's worker process runs the workflows and activities, and consumes the events
    # that start them: Temporal then hands a workflow's first task straight back to the
    # worker that started it (eager start) instead of queueing it for a poll. Its API process
    # only serves HTTP, so a busy worker never slows the API down (and the worker can be
    # killed and restarted on its own: events wait in their durable consumers meanwhile).
    Service("provisioning", "provisioning", "PROVISIONING_", roles=("api",)),
    Service(
        "provisioning-worker",
        "provisioning",
        "PROVISIONING_",
        roles=("worker", "stream"),
        api=False,
    ),
    # Background: an ISP's onboarding reaches `active` without its Stripe customer and
    # subscription, which follow within seconds.
    Service("billing", "billing", "BILLING_", roles=("api", "stream", "worker"), background=True),
    # Its poller in the same process: one process less on two cores; in a cluster "poll" runs
    # on its own (one replica polls every device; sharding the fleet comes with scale).
    # Background: a new ISP's monitoring settings follow its onboarding (no step waits for
    # them), and polling is periodic work that a few seconds' lag under a burst does not harm.
    Service("network", "network", "NETWORK_", roles=("api", "stream", "poll"), background=True),
    # Thirty: its requests come from people and integrations, a hundred at once in
    # bench/tenant_api.py; with ten they queue for connections, and the queueing costs more
    # CPU per request (3.3-3.7 ms against 2.6-2.8 ms, closed loop) than the backends it saves.
    # Two API processes: one tops out at one core of Python while Postgres, the gateway and
    # the rest leave the other core partly idle (closed loop: 254-315 req/s with one, 325-360
    # with two, the same CPU per request). Sixty connections in all.
    Service("tenant-api", "tenant_api", "TENANT_API_", connections=30, replicas=2),
    # Fan-out and deliveries in the API's process: one process less on two cores. In a cluster
    # the dispatcher ("deliver") scales on its own; its replicas share the work through
    # Postgres (each takes its own due deliveries).
    # Background: what it sends third parties follows the change it tells of.
    Service(
        "webhooks", "webhooks", "WEBHOOKS_", roles=("api", "stream", "deliver"), background=True
    ),
    # The pages: it calls the others' APIs through the gateway, as a browser would.
    Service("webapp", "webapp", "WEBAPP_", roles=("api",)),
)
API_SERVICES: tuple[Service, ...] = tuple(s for s in SERVICES if s.api)
PROCESSES: tuple[Service, ...] = tuple(p for s in SERVICES for p in s.processes)
"""Every process of our own that the dev stack runs: the services' and their replicas'."""
BACKGROUND_NICENESS = 10
"""How far below the others background services (and the stand-ins for the outside world they
call: Stripe, the mail server) are ranked. Under a burst of 50 onboardings on 2 cores, the
~35 ms of CPU per onboarding of billing, webhooks and network otherwise shares the cores with
the onboardings' own path and delays every one of them; ranked below, it runs in what that
path leaves and catches up after the burst (`bench/onboarding.py` reports when: `settled_s`).
At nice 10 a busy process still gets about a tenth of a contended core, so it never stops."""

DEFAULT_SERVICE_PORTS: dict[str, int] = {
    "registration": 8101,
    "licensing": 8102,
    "provisioning": 8103,
    "provisioning-worker": 8113,
    "billing": 8104,
    "network": 8105,
    "tenant-api": 8106,
    "tenant-api-2": 8116,
    "webhooks": 8107,
    "webapp": 8108,
}

# Custom search attributes the workflows set; registered when Temporal starts.
SEARCH_ATTRIBUTES: dict[str, str] = {
    "IspId": "Keyword",
    "Tier": "Keyword",
    "Region": "Keyword",
    "Provider": "Keyword",
}

DATABASE = "dotmac"

# Ports field -> environment variable.
PORT_VARIABLES: dict[str, str] = {
    "gateway": "DOTMAC_GATEWAY_PORT",
    "caddy_admin": "DOTMAC_CADDY_ADMIN_PORT",
    "nats": "DOTMAC_NATS_PORT",
    "nats_monitor": "DOTMAC_NATS_MONITOR_PORT",
    "temporal": "DOTMAC_TEMPORAL_PORT",
    "temporal_ui": "DOTMAC_TEMPORAL_UI_PORT",
    "temporal_http": "DOTMAC_TEMPORAL_HTTP_PORT",
    "temporal_metrics": "DOTMAC_TEMPORAL_METRICS_PORT",
    "postgres": "DOTMAC_POSTGRES_PORT",
    "smtp": "DOTMAC_SMTP_PORT",
    "aws": "DOTMAC_AWS_PORT",
    "stripe": "DOTMAC_STRIPE_PORT",
    "traces": "DOTMAC_TRACES_PORT",
    "traces_grpc": "DOTMAC_TRACES_GRPC_PORT",
    "snmp_traps": "DOTMAC_SNMP_TRAP_PORT",
    "demo_snmp": "DOTMAC_DEMO_SNMP_PORT",
}


@dataclass(frozen=True)
class Ports:
    """Every port of the stack. Defaults are the dev stack's; tests use ``Ports.free()``."""

    gateway: int = 8080
    caddy_admin: int = 2019
    nats: int = 4222
    nats_monitor: int = 8222
    temporal: int = 7233
    temporal_ui: int = 8233
    temporal_http: int = 7243
    temporal_metrics: int = 7244
    postgres: int = 5433
    smtp: int = 1025
    aws: int = 4566
    stripe: int = 8420
    traces: int = 6006
    traces_grpc: int = 4417
    snmp_traps: int = 1162
    demo_snmp: int = 1161
    """Fixed like the others: demo devices loaded earlier keep this port in tenant-api."""
    services: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_SERVICE_PORTS))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Ports:
        """Read the port variables from the environment (see the module docstring)."""
        env = os.environ if environ is None else environ
        values: dict[str, int] = {}
        for name, variable in PORT_VARIABLES.items():
            if env.get(variable):
                values[name] = _port(variable, env[variable])
        services = {
            s.name: _port(s.port_variable, env[s.port_variable])
            if env.get(s.port_variable)
            else DEFAULT_SERVICE_PORTS[s.name]
            for s in PROCESSES
        }
        return cls(**values, services=services)  # type: ignore[arg-type]

    @classmethod
    def free(cls) -> Ports:
        """Distinct free ports for everything (test sessions, so a dev stack can keep running)."""
        taken: set[int] = set()

        def pick() -> int:
            while (port := free_port()) in taken:
                pass
            taken.add(port)
            return port

        values = {f.name: pick() for f in fields(cls) if f.name != "services"}
        services = {s.name: pick() for s in PROCESSES}
        return cls(**values, services=services)  # type: ignore[arg-type]

    def service(self, name: str) -> int:
        return self.services[name]

    def variable_for(self, port: int) -> str | None:
        """The environment variable that sets ``port`` (for "port in use" hints)."""
        for name, variable in PORT_VARIABLES.items():
            if getattr(self, name) == port:
                return variable
        for s in PROCESSES:
            if self.services.get(s.name) == port:
                return s.port_variable
        return None


def _port(variable: str, raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise ValueError(f"{variable}={raw!r} is not a port number") from None
    if not 0 < port < 65536:
        raise ValueError(f"{variable}={port} is outside 1-65535")
    return port


def database_url(ports: Ports, database: str = DATABASE) -> str:
    return f"postgresql+asyncpg://postgres@{LOCALHOST}:{ports.postgres}/{database}"


def service_environment(ports: Ports, database: str = DATABASE) -> dict[str, str]:
    """The environment every service process gets: where Postgres, NATS, Temporal, the gateway
    and the tenant API are, plus every service's ``<PREFIX>PORT`` (each serves on its own)."""
    env = {
        "DOTMAC_DATABASE_URL": database_url(ports, database),
        "DOTMAC_NATS_URL": f"nats://{LOCALHOST}:{ports.nats}",
        "DOTMAC_TEMPORAL_ADDRESS": f"{LOCALHOST}:{ports.temporal}",
        "DOTMAC_GATEWAY_URL": f"http://{LOCALHOST}:{ports.gateway}",
        "DOTMAC_TENANT_API_URL": f"http://{LOCALHOST}:{ports.service('tenant-api')}",
        "DOTMAC_SMTP_HOST": LOCALHOST,
        "DOTMAC_SMTP_PORT": str(ports.smtp),
    }
    for s in API_SERVICES:
        env[s.port_variable] = str(ports.service(s.name))
    return env


def process_environment(
    service: Service, ports: Ports, shared: Mapping[str, str]
) -> dict[str, str]:
    """One process's environment: the shared wiring, its own port, the network service's
    trap receiver's (UDP) port, and the web app's link to the Temporal UI."""
    own = {f"{service.env_prefix}PORT": str(ports.service(service.name))}
    if service.name == "network":
        own["NETWORK_TRAP_PORT"] = str(ports.snmp_traps)
    if service.name == "webapp":  # the console links workflows in the Temporal UI
        own["WEBAPP_TEMPORAL_UI_URL"] = f"http://{LOCALHOST}:{ports.temporal_ui}"
    return {**shared, **own}


# (Caddy path matcher, owning service), in match order.
ROUTE_TABLE: tuple[tuple[str, str], ...] = (
    ("/api/v1/isp/*/billing", "billing"),  # a * between slashes matches one path segment
    ("/api/v1/isp/*/billing/*", "billing"),
    ("/api/v1/isp/*", "registration"),
    ("/api/v1/registration/*", "registration"),
    ("/api/v1/demos*", "registration"),
    ("/api/v1/tiers*", "licensing"),
    ("/.well-known/dotmac-licence-keys", "licensing"),
    ("/api/v1/licensing/*", "licensing"),
    ("/api/v1/provisioning/*", "provisioning"),
    ("/api/v1/billing/*", "billing"),
    ("/api/v1/network/*", "network"),
    ("/api/v1/tenant-api/*", "tenant-api"),
    ("/api/v1/webhooks/*", "webhooks"),
    ("/api/v1/webapp/*", "webapp"),  # its docs and health; its pages are every other path
)


def gateway_routes(ports: Ports) -> list[tuple[str, str]]:
    """The gateway's routing table: ``(path prefix, "127.0.0.1:<service port>")`` in order."""
    return [(prefix, f"{LOCALHOST}:{ports.service(name)}") for prefix, name in ROUTE_TABLE]


def api_upstreams(ports: Ports, name: str) -> list[str]:
    """Where the gateway sends the API of service `name`: each of its API processes."""
    service = next(s for s in SERVICES if s.name == name)
    return [f"{LOCALHOST}:{ports.service(p.name)}" for p in service.processes]


def docs_urls(ports: Ports) -> dict[str, str]:
    """Each service's OpenAPI docs, as reached through the gateway."""
    base = f"http://{LOCALHOST}:{ports.gateway}/api/v1"
    return {s.name: f"{base}/{s.name}/docs" for s in API_SERVICES}
