"""Devices, with their traffic live."""

from collections.abc import AsyncIterator

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from webapp.isp.calls import (
    api,
    back_to_sign_in,
    host,
    refusal_page,
    signed_in,
)
from webapp.rendering import SignInFirst, page, webapp_of

router = APIRouter(include_in_schema=False)


# --- devices, with their traffic live -------------------------------------------------------------


@router.get("/devices", response_class=HTMLResponse)
async def devices(request: Request) -> Response:
    signed = await signed_in(request)
    answer = await api(request, "GET", "/api/v1/devices", signed, params={"limit": 200})
    if answer.status_code == 401:
        return back_to_sign_in(request)
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    answer.raise_for_status()
    return page(request, "isp/devices.html", {"signed": signed, "listing": answer.json()})


@router.get("/devices/live")
async def devices_live(request: Request) -> Response:
    """The ISP's device readings as server-sent events, relayed from tenant-api with the
    session's token (a browser's EventSource can send no Authorization header)."""
    try:
        signed = await signed_in(request)
    except SignInFirst:
        return Response(status_code=401)
    gateway = webapp_of(request).gateway
    upstream = gateway.build_request(
        "GET",
        "/api/v1/devices/telemetry",
        headers={**host(request), **signed.bearer, "Accept": "text/event-stream"},
        timeout=httpx.Timeout(10.0, read=None),
    )
    answer = await gateway.send(upstream, stream=True)
    if answer.status_code != 200:
        await answer.aclose()
        return Response(status_code=answer.status_code)

    async def relay() -> AsyncIterator[bytes]:
        try:
            async for chunk in answer.aiter_raw():
                yield chunk
        finally:
            await answer.aclose()

    return StreamingResponse(
        relay(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
