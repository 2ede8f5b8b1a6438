"""The FastAPI application every service starts from: problem documents, body guard, health,
tracing, docs under `/api/v1/<service>/docs` so the gateway can route them."""

import asyncio
import gc
import hmac
import io
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Header, Request
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from servicekit.config import PlatformSettings
from servicekit.consumer import Subscription
from servicekit.problems import JsonBodyGuard, Problem, Upload, install_problem_handlers
from servicekit.runtime import Runtime
from servicekit.telemetry import tracing_enabled

Background = Callable[[Runtime], AbstractAsyncContextManager[object]]
SLOW_SHUTDOWN_S = 15.0
log = logging.getLogger(__name__)
_serving_one_app = False


def serving_one_app() -> None:
    """For a process that serves one app until it exits (`python -m <service> serve`), not for
    tests, which start many apps in one process. As its app starts:

    - it opens every connection of its database pool, which it would keep open after its
      first burst of work anyway: opening one costs ~8 ms of CPU (Postgres starting a backend,
      most of it), and the first burst of 50 onboardings on a fresh stack opened ~120 of them;
    - once started, what starting made (modules, models, clients, the Temporal worker) is kept
      out of the garbage collector's sight for good. It lives as long as the process anyway,
      and a full collection walked all of it: ~150k objects, which held a provisioning
      worker's event loop for ~0.2 s in the middle of a burst of onboardings."""
    global _serving_one_app
    _serving_one_app = True


class SlowShutdownReport:
    """Once armed (when a service starts stopping), logs the stack of every task still running
    if stopping takes longer than `after_s`: a stop that hangs then says what it waits for."""

    def __init__(self, name: str, after_s: float = SLOW_SHUTDOWN_S) -> None:
        self._name, self._after_s = name, after_s
        self._timer: asyncio.TimerHandle | None = None

    def __enter__(self) -> "SlowShutdownReport":
        return self

    def __exit__(self, *_: object) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def arm(self) -> None:
        self._timer = asyncio.get_running_loop().call_later(self._after_s, self._report)

    def _report(self) -> None:
        stacks = []
        for task in asyncio.all_tasks():
            out = io.StringIO()
            task.print_stack(file=out)
            stacks.append(out.getvalue())
        log.warning(
            "%s: still stopping after %.0f s; tasks still running:\n%s",
            self._name,
            self._after_s,
            "\n".join(stacks),
        )


class Unauthorized(Problem):
    status, title, slug = 401, "Unauthorized", "unauthorized"


def create_service_app(
    *,
    name: str,
    title: str,
    description: str,
    runtime: Runtime,
    routers: Sequence[APIRouter] = (),
    subscriptions: Sequence[Subscription] = (),
    background: Sequence[Background] = (),
    uploads: Mapping[str, Upload] | None = None,
) -> FastAPI:
    """The service's ASGI app. Its lifespan starts the runtime (bus, outbox relay, consumers of
    `subscriptions`) after each `background` context (a Temporal worker, say), and stops them in
    reverse order."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = runtime
        async with AsyncExitStack() as stack:
            # Pushed first, so it ends last: from the moment stopping begins until everything
            # has stopped, a stop that hangs reports what it waits for.
            watchdog = stack.enter_context(SlowShutdownReport(name))
            # The database outlives everything that uses it: background listeners still hold
            # connections while they stop, so the pool is disposed last.
            stack.push_async_callback(runtime.db.dispose)
            if _serving_one_app:  # before anything holds a connection of the pool
                await runtime.db.open_all()
            # Background first: consumers may depend on what it connects (a Temporal client).
            for context in background:
                await stack.enter_async_context(context(runtime))
            await runtime.start(subscriptions)
            stack.push_async_callback(runtime.stop)
            if _serving_one_app:
                gc.collect()  # what starting left as garbage is freed, not frozen
                gc.freeze()
            yield
            watchdog.arm()

    app = FastAPI(
        title=title,
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        docs_url=f"/api/v1/{name}/docs",
        redoc_url=None,
        openapi_url=f"/api/v1/{name}/openapi.json",
    )
    install_problem_handlers(app)
    app.add_middleware(JsonBodyGuard, uploads=uploads)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": name}

    for router in routers:
        app.include_router(router)
    if tracing_enabled():
        FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz")
    return app


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def internal_caller(settings: PlatformSettings) -> Callable[..., None]:
    """A dependency for service-to-service routes: the caller must present the internal token."""
    expected = f"Bearer {settings.internal_token.get_secret_value()}".encode()

    def check(authorization: Annotated[str | None, Header()] = None) -> None:
        if authorization is None or not hmac.compare_digest(authorization.encode(), expected):
            raise Unauthorized("This route is for DotMac services; present the internal token.")

    return check
