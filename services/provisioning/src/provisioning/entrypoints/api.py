"""Provisioning's HTTP API: its health and docs (its work is followed in the Temporal UI and
through registration's status API)."""

from fastapi import FastAPI

from provisioning.bootstrap import Provisioning
from servicekit.http import create_service_app
from servicekit.serving import Role


def create_app(provisioning: Provisioning) -> FastAPI:
    return create_service_app(
        name="provisioning",
        title="DotMac provisioning",
        description="Onboards ISPs through Temporal workflows, followed in the Temporal UI.",
        state={"runtime": provisioning.runtime, "provisioning": provisioning},
    )


def role(provisioning: Provisioning) -> Role:
    return Role(app=create_app(provisioning))
