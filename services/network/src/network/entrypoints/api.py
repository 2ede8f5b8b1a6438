"""Network's HTTP API."""

from fastapi import FastAPI

from network.alerts.endpoints import router as alerts
from network.bootstrap import Network
from network.history.endpoints import router as history
from network.monitoring.endpoints import router as monitoring
from servicekit.http import create_service_app
from servicekit.serving import Role


def create_app(network: Network) -> FastAPI:
    return create_service_app(
        name="network",
        title="DotMac network",
        description="Network: SNMP polling, traps, telemetry and alerts for ISP devices.",
        state={"runtime": network.runtime, "network": network},
        routers=(history, monitoring, alerts),
    )


def role(network: Network) -> Role:
    return Role(app=create_app(network))
