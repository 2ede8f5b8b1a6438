"""Devices, with their traffic live."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from webapp.isp.calls import (
    SIGN_IN,
    api,
    back_to_sign_in,
    host,
    names_of_people,
    refusal_page,
    signed_in,
)
from webapp.rendering import SignInFirst, page, problem_detail, webapp_of
from webapp.sessions import Signed, check_csrf

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


# --- a device's history, and alerts ---------------------------------------------------------------

CHART_W, CHART_H = 600, 160


def rate(bps: float) -> str:
    """A rate as people read it."""
    for unit, size in (("Gb/s", 1e9), ("Mb/s", 1e6), ("kb/s", 1e3)):
        if bps >= size:
            return f"{bps / size:.1f} {unit}"
    return f"{bps:.0f} b/s"


def chart(interface: dict[str, Any], since: datetime, until: datetime) -> dict[str, Any]:
    """One interface's history as an SVG chart's polylines (in and out, averages per bucket),
    scaled to its own peak."""
    points = interface["points"]
    peak = max((max(p["in_bps_max"], p["out_bps_max"]) for p in points), default=0.0) or 1.0
    span = (until - since).total_seconds() or 1.0

    def line(key: str) -> str:
        return " ".join(
            f"{(datetime.fromisoformat(p['at']) - since).total_seconds() / span * CHART_W:.1f},"
            f"{CHART_H - p[key] / peak * (CHART_H - 4):.1f}"
            for p in points
        )

    return {
        "name": interface["name"],
        "index": interface["index"],
        "in": line("in_bps_avg"),
        "out": line("out_bps_avg"),
        "peak": rate(peak),
        "latest": points[-1] if points else None,
        "rows": [
            {**p, "in": rate(p["in_bps_avg"]), "out": rate(p["out_bps_avg"])} for p in points[-24:]
        ],
    }


async def _isp_id(request: Request, signed: Signed) -> str:
    me = await api(request, "GET", "/api/v1/auth/me", signed)
    if me.status_code != 200:
        raise SignInFirst(SIGN_IN)
    return str(me.json()["tenant_id"])


@router.get("/devices/{device_id}", response_class=HTMLResponse)
async def device(request: Request, device_id: str, hours: int = 24) -> Response:
    signed = await signed_in(request)
    found = await api(request, "GET", f"/api/v1/devices/{quote(device_id, safe='')}", signed)
    if found.status_code in (404, 422):
        return page(request, "public/not_found.html", {"what": "device"}, status=404)
    if (refused := refusal_page(request, signed, found)) is not None:
        return refused
    found.raise_for_status()
    hours = hours if hours in (1, 6, 24, 168) else 24
    until = datetime.now(UTC)
    since = until - timedelta(hours=hours)
    isp = await _isp_id(request, signed)
    network = f"/api/v1/network/isp/{isp}"
    history = await api(
        request,
        "GET",
        f"{network}/devices/{quote(device_id, safe='')}/history",
        signed,
        platform=True,
        params={
            "since": since.isoformat(),
            "until": until.isoformat(),
            "resolution": 300 if hours <= 24 else 3600,
        },
    )
    alerts = await api(
        request,
        "GET",
        f"{network}/alerts",
        signed,
        platform=True,
        params={"state": "all", "device_id": device_id, "limit": 20},
    )
    interfaces = history.json()["interfaces"] if history.status_code == 200 else []
    return page(
        request,
        "isp/device.html",
        {
            "signed": signed,
            "device": found.json(),
            "charts": [chart(i, since, until) for i in interfaces],
            "hours": hours,
            "width": CHART_W,
            "height": CHART_H,
            "history_refused": None if history.status_code == 200 else problem_detail(history),
            "alerts": alerts.json()["items"] if alerts.status_code == 200 else [],
        },
    )


ALERT_STATES = ("open", "cleared", "all")


@router.get("/alerts", response_class=HTMLResponse)
async def alerts(request: Request, state: str = "open", cursor: str = "") -> Response:
    signed = await signed_in(request)
    state = state if state in ALERT_STATES else "open"
    params = {"state": state, "limit": 50, **({"cursor": cursor[:200]} if cursor else {})}
    isp = await _isp_id(request, signed)
    answer = await api(
        request, "GET", f"/api/v1/network/isp/{isp}/alerts", signed, platform=True, params=params
    )
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    if answer.status_code != 200:  # a cursor from another listing, say: start again
        return RedirectResponse(f"/alerts?state={state}", status_code=303)
    return page(
        request,
        "isp/alerts.html",
        {
            "signed": signed,
            "alerts": answer.json(),
            "state": state,
            "states": ALERT_STATES,
            "names": await names_of_people(request, signed),
        },
    )


@router.post("/alerts/{alert_id}/acknowledge", response_class=HTMLResponse)
async def acknowledge(request: Request, alert_id: str) -> Response:
    signed = await signed_in(request)
    check_csrf(request, dict(await request.form()))
    isp = await _isp_id(request, signed)
    path = f"/api/v1/network/isp/{isp}/alerts/{quote(alert_id, safe='')}/acknowledge"
    answer = await api(request, "POST", path, signed, platform=True)
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    return RedirectResponse("/alerts", status_code=303)
