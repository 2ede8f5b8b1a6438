"""Live telemetry of the ISP's devices, as server-sent events: what the network service reads
from them (rates, utilisation, status per interface), as it reads it. The stream subscribes to
the ISP's own NATS subjects only (`dotmac.telemetry.device.sampled.v1.<isp>.<device>`), so
another ISP's readings never reach it; a slow browser drops the oldest readings, never delays
the others."""

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from dotmac_contracts.events import DeviceSampled
from dotmac_contracts.vocabulary import Plugin
from servicekit.http import RuntimeDep
from servicekit.problems import NotAcceptable
from tenant_api.deps import ERRORS, Caller, require, require_plugin
from tenant_api.identity.auth.roles import Permission

router = APIRouter(
    prefix="/api/v1/devices",
    tags=["devices"],
    dependencies=[require_plugin(Plugin.NETWORK_MONITORING)],
    responses=ERRORS,
)
Reader = Annotated[Caller, require(Permission.NETWORK_READ)]
KEEPALIVE_S = 15.0
BACKLOG = 100


async def _readings(request: Request, nats: Any, subject: str) -> AsyncIterator[bytes]:
    waiting: asyncio.Queue[bytes] = asyncio.Queue(maxsize=BACKLOG)

    async def heard(message: Any) -> None:
        if waiting.full():
            waiting.get_nowait()  # this browser is behind: it loses the oldest reading
        waiting.put_nowait(message.data)

    subscription = await nats.subscribe(subject, cb=heard)
    try:
        yield b": connected\nretry: 2000\n\n"
        while not await request.is_disconnected():
            try:
                async with asyncio.timeout(KEEPALIVE_S):
                    data = await waiting.get()
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            yield b"event: device.sampled\ndata: " + data + b"\n\n"
    finally:
        await subscription.unsubscribe()


@router.get(
    "/telemetry",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def telemetry(
    request: Request,
    caller: Reader,
    runtime: RuntimeDep,
    device_id: Annotated[UUID | None, Query(description="Only this device's readings")] = None,
    accept: Annotated[str, Header()] = "",
) -> StreamingResponse:
    """The ISP's device readings as they happen (server-sent events, `event: device.sampled`,
    `data`: the reading: per interface its status, bits a second in and out, utilisation).
    Every device's, or one's with `device_id`. Send `Accept: text/event-stream` (a browser's
    EventSource does): the stream does not end, and is refused to a client that did not ask
    for one."""
    if "text/event-stream" not in accept:
        raise NotAcceptable("This is an event stream: send `Accept: text/event-stream`.")
    subject = f"{DeviceSampled.subject}.{caller.tenant_id}.{device_id or '*'}"
    return StreamingResponse(
        _readings(request, runtime.nats, subject),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
