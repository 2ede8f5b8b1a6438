"""Running a service in the test's own process, as `python -m <service> serve` runs it."""

from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from servicekit.runtime import Runtime
from servicekit.serving import Role


@asynccontextmanager
async def running(runtime: Runtime, roles: Sequence[Role]) -> AsyncIterator[Any]:
    """The runtime and `roles` running (subscribers, workers, the api app's lifespan) until the
    block ends; yields the api app as an ASGI server would call it (None without one)."""
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(runtime.running())
        for role in roles:
            if role.running is not None:
                await stack.enter_async_context(role.running())
        app = next((role.app for role in roles if role.app is not None), None)
        if app is None:
            yield None
            return
        assert isinstance(app, FastAPI), "the api role serves a FastAPI app"
        state = await stack.enter_async_context(app.router.lifespan_context(app))
        yield _with_state(app, dict(state or {}))


@asynccontextmanager
async def served(
    runtime: Runtime,
    roles: Sequence[Role],
    *,
    base_url: str = "http://service",
    raise_app_exceptions: bool = True,
) -> AsyncIterator[httpx.AsyncClient]:
    """`running()`, with a client of the api app over ASGI (no socket). An exception the app
    does not handle is raised in the test, or (`raise_app_exceptions=False`) answered 500 as a
    server would."""
    async with running(runtime, roles) as app:
        assert app is not None, "served() needs a role with an app"
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


@asynccontextmanager
async def on_a_socket(app: Any) -> AsyncIterator[str]:
    """`app` served by uvicorn on a loopback port for the block: its base URL. httpx's ASGI
    transport hands a response over only once it has ended, so an event stream needs this."""
    import asyncio

    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_config=None)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # it failed to start: say why
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def _with_state(app: FastAPI, state: dict[str, Any]) -> Any:
    """The app, given its lifespan's state with each request, as an ASGI server gives it
    (httpx's ASGI transport does not)."""

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = {**scope, "state": dict(state)}
        await app(scope, receive, send)

    asgi.app = app  # type: ignore[attr-defined]  # for tests that add routes to it
    return asgi
