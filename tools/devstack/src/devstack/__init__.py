"""DotMac's dev stack and test-fixture toolkit: real server programs as child processes.

``devstack.components`` has one class per server program (NATS, Temporal, PostgreSQL, Caddy, our
own services); ``devstack.stack`` wires them into the dev stack behind ``python -m devstack``;
``devstack.ports`` hands out free ports for tests.
"""

from devstack.components import (
    Caddy,
    Component,
    ComponentError,
    NatsServer,
    Postgres,
    ServiceProcess,
    TemporalDevServer,
)
from devstack.ports import free_port, free_udp_port, wait_port_free
from devstack.wiring import SERVICES, Ports, gateway_routes, service_environment

__all__ = [
    "SERVICES",
    "Caddy",
    "Component",
    "ComponentError",
    "NatsServer",
    "Ports",
    "Postgres",
    "ServiceProcess",
    "TemporalDevServer",
    "free_port",
    "free_udp_port",
    "gateway_routes",
    "service_environment",
    "wait_port_free",
]
