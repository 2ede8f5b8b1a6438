"""Provisioning's event subscribers: a registration starts an onboarding, a demo request a
demo's lifecycle, a cancellation an offboarding — each a Temporal workflow."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from faststream.asgi import AsgiFastStream

from provisioning.bootstrap import Provisioning
from servicekit.serving import Role

TITLE = "DotMac provisioning"
DESCRIPTION = "Deployment, demo and offboarding progress out; registrations and requests in."


def create_stream(provisioning: Provisioning) -> AsgiFastStream:
    return provisioning.runtime.stream_app(title=TITLE, description=DESCRIPTION)


@asynccontextmanager
async def running_stream(provisioning: Provisioning) -> AsyncIterator[AsgiFastStream]:
    await provisioning.temporal()  # the subscribers start workflows with it
    async with create_stream(provisioning) as app:
        yield app


def role(provisioning: Provisioning) -> Role:
    return Role(running=lambda: running_stream(provisioning))
