"""The FastAPI application every service starts from: problem documents, body guard, health,
tracing, docs under `/api/v1/<service>/docs` so the gateway can route them."""

import hmac
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.responses import Response
from fastapi.telemetry import TelemetryConfig
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from pydantic import BaseModel, SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.config import PlatformSettings
from servicekit.metrics import HttpMetrics, metrics_enabled, metrics_endpoint
from servicekit.outbox import Outbox
from servicekit.problems import (
    JsonBodyGuard,
    Unauthorized,
    Upload,
    install_problem_handlers,
)
from servicekit.runtime import Runtime
from servicekit.telemetry import tracing_enabled

Background = Callable[[], AbstractAsyncContextManager[object]]


def create_service_app(
    *,
    name: str,
    title: str,
    description: str,
    state: Mapping[str, Any],
    routers: Sequence[APIRouter] = (),
    background: Sequence[Background] = (),
    uploads: Mapping[str, Upload] | None = None,
) -> FastAPI:
    """The service's HTTP app. `state` is what its dependencies read (`request.state.<key>`,
    Starlette's lifespan state): the service's composition root, built by its bootstrap, never
    looked up on the app. `background` contexts (caches kept current, say) run for as long as
    the app serves."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        build_routes(app)
        async with AsyncExitStack() as stack:
            for context in background:
                await stack.enter_async_context(context())
            yield dict(state)

    app = FastAPI(
        title=title,
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        docs_url=f"/api/v1/{name}/docs",
        redoc_url=None,
        openapi_url=f"/api/v1/{name}/openapi.json",
        telemetry=OWN_TELEMETRY_ONLY,
    )
    install_problem_handlers(app)
    app.add_middleware(JsonBodyGuard, uploads=uploads)
    if metrics_enabled():
        app.add_middleware(HttpMetrics)
        app.add_route("/metrics", metrics_endpoint, include_in_schema=False)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": name}

    for router in routers:
        app.include_router(router)
    if tracing_enabled():
        FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz")
    return app


OWN_TELEMETRY_ONLY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
"""FastAPI's native telemetry, off: the OpenTelemetry instrumentor (when tracing is on) and
`HttpMetrics` observe the services' apps. Left on, it adds nothing to what they record, and
looks the global tracer, meter and logger providers up (in the environment, when none is
set) at every request: ~1% of a tenant-api request's CPU under the API bench."""


def build_routes(app: FastAPI) -> None:
    """Have FastAPI work out every route now. It does so for each included router (each
    route's dependencies, the pydantic adapters of its parameters) when a request first
    reaches the router, and the first request of a process reaches nearly all of them: a
    first burst paid for it in its first requests, and tenant-api has over a hundred routes.
    (An inner API of FastAPI: without it, nothing is done here and FastAPI does it lazily.)"""
    for route in app.router.routes:
        for contexts in ("effective_route_contexts", "effective_low_priority_routes"):
            build = getattr(route, contexts, None)
            if callable(build):
                for _ in build():
                    pass


class ModelResponse(Response):
    """A model as JSON, written by pydantic's own serializer. A route on a hot path returns
    one (declaring its model as `response_model`, for the OpenAPI document) where FastAPI,
    given the model itself, would validate it again, turn it into a dict and then into JSON
    with the standard library: three passes over what the service just built and checked."""

    media_type = "application/json"

    def __init__(self, model: BaseModel, status_code: int = 200) -> None:
        super().__init__(model.__pydantic_serializer__.to_json(model, by_alias=True), status_code)


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
"""The service's runtime (database, outbox), from the app's lifespan state."""


async def unit_of_work(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async with runtime.db.unit_of_work() as session:
        yield session


async def get_outbox(runtime: RuntimeDep) -> Outbox:
    return runtime.outbox


OutboxDep = Annotated[Outbox, Depends(get_outbox)]
"""The service's outbox: what a service function stages there is published once the request's
unit of work commits."""

SessionDep = Annotated[AsyncSession, Depends(unit_of_work, scope="function")]
"""The request's unit of work: committed when the endpoint returns, before the response is
sent (so a failed commit is the request's failure, not a success that did not happen), rolled
back if it raises. Service functions take it and never commit."""


def internal_caller(settings: PlatformSettings) -> Callable[..., None]:
    """A dependency for service-to-service routes: the caller must present the internal token."""
    return _bearer(
        settings.internal_token, "This route is for DotMac services; present the internal token."
    )


def operator_caller(settings: PlatformSettings) -> Callable[..., None]:
    """A dependency for the operator's routes: the caller must present the operator token (an
    ISP's sign-in or API key is refused, and so is the services' internal token)."""
    return _bearer(
        settings.operator_token,
        "This route is for the platform's operators; present the operator token.",
    )


def _bearer(token: SecretStr, refusal: str) -> Callable[..., None]:
    expected = f"Bearer {token.get_secret_value()}".encode()

    def check(authorization: Annotated[str | None, Header()] = None) -> None:
        if authorization is None or not hmac.compare_digest(authorization.encode(), expected):
            raise Unauthorized(refusal)

    return check
