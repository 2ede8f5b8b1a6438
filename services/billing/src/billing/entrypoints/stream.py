"""Billing's event subscribers: sign-ups, licences and the tier catalogue in."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from faststream.asgi import AsgiFastStream

from billing.bootstrap import Billing
from servicekit.serving import Role

TITLE = "DotMac billing"
DESCRIPTION = "The platform's billing of ISPs: sign-ups, licences and tier prices in."


def create_stream(billing: Billing) -> AsgiFastStream:
    return billing.runtime.stream_app(title=TITLE, description=DESCRIPTION)


@asynccontextmanager
async def running_stream(billing: Billing) -> AsyncIterator[AsgiFastStream]:
    await billing.temporal()  # the dunning subscribers start and settle workflows with it
    async with create_stream(billing) as app:
        yield app


def role(billing: Billing) -> Role:
    return Role(running=lambda: running_stream(billing))
