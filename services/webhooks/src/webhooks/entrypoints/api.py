"""Webhooks' HTTP API: the event catalogue, each ISP's endpoints and event stream, and the
operator's."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from servicekit.http import create_service_app, operator_caller
from servicekit.serving import Role
from servicekit.tasks import cancel_and_wait
from webhooks.bootstrap import Webhooks
from webhooks.owners import isp_owner, operator_owner
from webhooks.streaming.endpoints import stream_routes
from webhooks.subscriptions.endpoints import catalogue, endpoint_routes

ISP = "/api/v1/webhooks/isp/{isp_id}"
OPERATOR = "/api/v1/webhooks/operator"


def create_app(webhooks: Webhooks) -> FastAPI:
    operator = operator_owner(operator_caller(webhooks.settings.platform))

    @asynccontextmanager
    async def listening() -> AsyncIterator[None]:
        task = webhooks.runtime.spawn(
            webhooks.listeners.run(webhooks.runtime.db), "stream-listener"
        )
        try:
            yield
        finally:
            await cancel_and_wait(task)

    return create_service_app(
        name="webhooks",
        title="DotMac webhooks",
        description="Webhooks: an ISP's own events and the platform's, delivered to third "
        "parties as Standard Webhooks (signed, retried, logged, replayable) and streamed as "
        "server-sent events.",
        state={"runtime": webhooks.runtime, "webhooks": webhooks},
        routers=(
            catalogue,
            endpoint_routes(ISP, isp_owner, tag="an ISP's webhooks"),
            stream_routes(ISP, isp_owner, tag="an ISP's webhooks"),
            endpoint_routes(OPERATOR, operator, tag="the operator's webhooks"),
            stream_routes(OPERATOR, operator, tag="the operator's webhooks"),
        ),
        background=(listening,),
    )


def role(webhooks: Webhooks) -> Role:
    return Role(app=create_app(webhooks))
