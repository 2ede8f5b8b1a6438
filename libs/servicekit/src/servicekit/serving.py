"""A served process of a service: the roles it was asked to run, around one HTTP server.

A service has up to three roles, each built by one of its entry points: `api` (its FastAPI
app), `stream` (its FastStream subscribers) and `worker` (its Temporal worker). One process runs
one role or several, as its command line says (`python -m <service> serve api stream`): the dev
stack runs few processes on its two cores, a cluster runs a deployment per role and scales each
on its own. Whatever its roles, the process holds the service's runtime (database, outbox
relay) and answers `/healthz` on its port: the api's app when it runs one, a health app
otherwise.
"""

import asyncio
import gc
import io
import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.http import OWN_TELEMETRY_ONLY
from servicekit.metrics import metrics_enabled, metrics_endpoint
from servicekit.runtime import Runtime

log = logging.getLogger(__name__)
SLOW_SHUTDOWN_S = 15.0
KEEP_ALIVE_S = 75
"""How long a served process keeps an idle HTTP connection open: longer than anything that
calls it keeps one to reuse (the gateway: `devstack.components.UPSTREAM_IDLE_S`; httpx: 5 s;
aiohttp: 15 s). With uvicorn's default of 5 s the server closed connections the gateway still
held, and a request the gateway sent on one as it closed failed: a 502, since the gateway may
retry a GET on another connection but not a POST."""


@dataclass(frozen=True)
class Role:
    """What one role adds to a process: the ASGI app it serves on the process's port (`app`,
    the api's), and what it runs meanwhile (`running`: subscribers, a Temporal worker),
    started before the server and stopped after it, in reverse order of the roles."""

    app: ASGIApp | None = None
    running: Callable[[], AbstractAsyncContextManager[object]] | None = None


RoleFactory = Callable[[], Role]


class ContainFailures:
    """ASGI, around a served app: a request that fails costs only itself.

    Starlette answers an unhandled exception with its 500 (our problem document) and then
    raises it again, to the server; uvicorn, seeing an exception after a response started,
    closes the connection. The gateway has already taken the 500 and put the connection back
    in its pool, so the next request it sends on it, anyone's, meets a reset: a 502. Here the
    exception is logged once, with its traceback, and goes no further, so the connection stays
    as HTTP keep-alive left it. An exception before any response started still reaches the
    server, which answers 500 and closes the connection (nothing else could be sent on it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            if not started:
                raise
            log.exception("%s %s failed (answered 500)", scope["method"], scope["path"])


def health_app(name: str, roles: Sequence[str]) -> FastAPI:
    """The port of a process that serves no API: `/healthz` answers once its roles run."""
    app = FastAPI(
        title=f"DotMac {name} ({', '.join(roles)})",
        docs_url=None,
        redoc_url=None,
        telemetry=OWN_TELEMETRY_ONLY,
    )
    if metrics_enabled():
        app.add_route("/metrics", metrics_endpoint, include_in_schema=False)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": name, "roles": ",".join(roles)}

    return app


class InjectedFault(Exception):
    """Raised on purpose by the fault route."""


def add_fault_route(app: FastAPI, name: str) -> None:
    """Tests only (`fault_route`): `GET /api/v1/<name>/_fault` fails with an unhandled error;
    `POST` there answers 200, a request the gateway may not retry on another connection (as it
    retries a GET), so it shows whether the connection a failure left behind still works."""

    async def fail() -> None:
        raise InjectedFault(f"{name}: a fault injected on purpose")

    async def answer() -> dict[str, str]:
        return {"answered": name}

    path = f"/api/v1/{name}/_fault"
    app.add_api_route(path, fail, methods=["GET"], include_in_schema=False)
    app.add_api_route(path, answer, methods=["POST"], include_in_schema=False)


async def serve(
    *,
    name: str,
    runtime: Runtime,
    roles: Mapping[str, RoleFactory],
    host: str,
    port: int,
) -> None:
    """Run `roles` (by name, in order) in this process until it is asked to stop (SIGINT or
    SIGTERM), then stop them in reverse order."""
    built = {role: make() for role, make in roles.items()}
    app = next((r.app for r in built.values() if r.app is not None), None)
    if runtime.settings.fault_route and isinstance(app, FastAPI):
        add_fault_route(app, name)
    server = uvicorn.Server(
        server_config(ContainFailures(app or health_app(name, list(roles))), host, port)
    )
    with SlowShutdownReport(name) as watchdog:
        # The pool is opened whole before anything holds a connection of it: a served process
        # keeps its connections after its first burst anyway, and opening one costs ~8 ms of
        # CPU (Postgres starting a backend), which a first burst would pay all at once.
        async with runtime.running(open_pool=True), AsyncExitStack() as stack:
            for role in built.values():
                if role.running is not None:
                    await stack.enter_async_context(role.running())
            freezing = asyncio.create_task(_freeze_once_started(server))
            try:
                await server.serve()
            finally:
                freezing.cancel()
                watchdog.arm()


def server_config(app: ASGIApp, host: str, port: int) -> uvicorn.Config:
    """How a served process's HTTP server runs `app`."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=False,
        log_level="info",
        log_config=None,  # uvicorn's lines go through the process's own (JSON) logging
        lifespan="on",
        timeout_keep_alive=KEEP_ALIVE_S,
    )


async def _freeze_once_started(server: uvicorn.Server) -> None:
    """Once the process has started, what starting it made (modules, models, clients, the
    Temporal worker) is kept out of the garbage collector's sight for good: it lives as long
    as the process anyway, and a full collection walked all of it (~150k objects), holding the
    event loop for ~0.2 s in the middle of a burst."""
    while not server.started:
        await asyncio.sleep(0.05)
    gc.collect()  # what starting left as garbage is freed, not frozen
    gc.freeze()


class SlowShutdownReport:
    """Once armed (when a process starts stopping), logs the stack of every task still running
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
