"""Devices, with their traffic live."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from webapp.isp.calls import (
    api,
    back,
    back_to_sign_in,
    host,
    isp_id_of,
    names_of_people,
    refusal_page,
    signed_in,
)
from webapp.rendering import SignInFirst, field_errors, page, problem_detail, webapp_of
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


ROLES = ("router", "switch", "olt", "access_point", "firewall", "server", "other")
AUTH = ("SHA", "SHA-256", "SHA-512", "MD5", "SHA-224", "SHA-384")
PRIVACY = ("AES", "AES-256", "AES-192", "DES")
DEVICE_FIELDS = ("name", "vendor", "model", "role", "management_ip", "site", "snmp.version",
                 "snmp.port", "snmp.community", "snmp.username", "snmp.auth_protocol",
                 "snmp.auth_key", "snmp.privacy_protocol", "snmp.privacy_key")  # fmt: skip
SECRETS = ("snmp.community", "snmp.auth_key", "snmp.privacy_key")
"""Not sent back to the browser, even into the form after a mistake."""


def _device(values: dict[str, str]) -> dict[str, Any]:
    """The form as tenant-api's device: v1/v2c with a community, v3 with a user and keys."""
    snmp: dict[str, Any] = {"version": values["snmp.version"] or "v2c"}
    if values["snmp.port"]:
        snmp["port"] = values["snmp.port"]
    if snmp["version"] == "v3":
        snmp |= {k: values[f"snmp.{k}"] for k in ("username", "auth_protocol", "auth_key")}
        if values["snmp.privacy_key"]:
            snmp |= {k: values[f"snmp.{k}"] for k in ("privacy_protocol", "privacy_key")}
    else:
        snmp["community"] = values["snmp.community"]
    device: dict[str, Any] = {
        k: values[k] for k in ("name", "vendor", "model", "role", "management_ip", "site")
    }
    return device | {"snmp": snmp}


def _device_form(
    request: Request,
    signed: Signed,
    values: dict[str, str],
    errors: dict[str, str],
    general: str | None = None,
    status: int = 200,
) -> Response:
    return page(
        request,
        "isp/device_new.html",
        {"signed": signed, "values": values, "errors": errors, "general": general,
         "roles": ROLES, "auth": AUTH, "privacy": PRIVACY},
        status=status,
    )  # fmt: skip


@router.get("/devices/new", response_class=HTMLResponse)
async def new_device_form(request: Request) -> Response:
    signed = await signed_in(request)
    defaults = {"snmp.version": "v2c", "snmp.port": "161", "role": "router"}
    return _device_form(request, signed, defaults, {})


@router.post("/devices/new", response_class=HTMLResponse)
async def add_device(request: Request) -> Response:
    """Add a device to monitor. Its SNMP secrets go to tenant-api, which seals them; they are
    never shown again, not even on this form after a mistake."""
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    values = {k: str(form.get(k, "")).strip()[:300] for k in DEVICE_FIELDS}
    answer = await api(request, "POST", "/api/v1/devices", signed, json=_device(values))
    if answer.status_code == 201:
        return RedirectResponse(f"/devices/{answer.json()['id']}", status_code=303)
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    errors, general = field_errors(answer.json())
    kept = {k: v for k, v in values.items() if k not in SECRETS}
    return _device_form(
        request,
        signed,
        kept,
        {_device_field(k): v for k, v in errors.items()},
        general,
        status=answer.status_code if 400 <= answer.status_code < 500 else 502,
    )


def _device_field(api_field: str) -> str:
    """tenant-api's name for a field (`snmp.v3.auth_key`, with the union's tag) as the form's."""
    parts = api_field.split(".")
    if parts[0] == "snmp":
        rest = [p for p in parts[1:] if p not in ("v1", "v2c", "v3")]
        return "snmp." + (rest[0] if rest else "version")
    return parts[0]


@router.post("/devices/{device_id}/remove", response_class=HTMLResponse)
async def remove_device(request: Request, device_id: str) -> Response:
    signed = await signed_in(request)
    check_csrf(request, dict(await request.form()))
    answer = await api(request, "DELETE", f"/api/v1/devices/{quote(device_id, safe='')}", signed)
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    return RedirectResponse("/devices", status_code=303)


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


@router.get("/devices/{device_id}", response_class=HTMLResponse)
async def device(
    request: Request, device_id: str, hours: int = 24, message: str = "", general: str = ""
) -> Response:
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
    isp = await isp_id_of(request, signed)
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
            "message": message[:300],
            "general": general[:300] or None,
        },
    )


ALERT_STATES = ("open", "cleared", "all")


@router.get("/alerts", response_class=HTMLResponse)
async def alerts(
    request: Request, state: str = "open", cursor: str = "", message: str = "", general: str = ""
) -> Response:
    signed = await signed_in(request)
    state = state if state in ALERT_STATES else "open"
    params = {"state": state, "limit": 50, **({"cursor": cursor[:200]} if cursor else {})}
    isp = await isp_id_of(request, signed)
    answer = await api(
        request, "GET", f"/api/v1/network/isp/{isp}/alerts", signed, platform=True, params=params
    )
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    if answer.status_code != 200:  # a cursor from another listing, say: start again
        return RedirectResponse(f"/alerts?state={state}", status_code=303)
    monitoring = await api(
        request, "GET", f"/api/v1/network/isp/{isp}/monitoring", signed, platform=True
    )
    current = monitoring.json() if monitoring.status_code == 200 else None
    return page(
        request,
        "isp/alerts.html",
        {
            "signed": signed,
            "alerts": answer.json(),
            "state": state,
            "states": ALERT_STATES,
            "monitoring": current,
            "values": {k: "" if v is None else v for k, v in (current or {}).items()},
            "errors": {},
            "message": message[:300],
            "general": general[:300] or None,
            "names": await names_of_people(request, signed),
        },
    )


@router.post("/alerts/{alert_id}/acknowledge", response_class=HTMLResponse)
async def acknowledge(request: Request, alert_id: str) -> Response:
    signed = await signed_in(request)
    check_csrf(request, dict(await request.form()))
    isp = await isp_id_of(request, signed)
    path = f"/api/v1/network/isp/{isp}/alerts/{quote(alert_id, safe='')}/acknowledge"
    answer = await api(request, "POST", path, signed, platform=True)
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    return RedirectResponse("/alerts", status_code=303)


MONITORING = ("poll_interval_s", "unreachable_polls", "utilisation_pct", "utilisation_minutes",
              "alert_email_to")  # fmt: skip


@router.post("/alerts/settings", response_class=HTMLResponse)
async def change_monitoring(request: Request) -> Response:
    """How the ISP's devices are watched: the interval, when an alert is raised, who is mailed."""
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    written = {k: str(form.get(k, "")).strip()[:320] for k in MONITORING}
    # an emptied interval is the platform's default (null); other empty fields stay as they are
    change: dict[str, Any] = {k: v for k, v in written.items() if v}
    change["poll_interval_s"] = written["poll_interval_s"] or None
    change["alert_emails"] = form.get("alert_emails") == "yes"
    isp = await isp_id_of(request, signed)
    answer = await api(
        request, "PATCH", f"/api/v1/network/isp/{isp}/monitoring", signed, platform=True,
        json=change,
    )  # fmt: skip
    if answer.status_code == 200:
        return back("/alerts", "Monitoring settings saved.")
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    errors, general = field_errors(answer.json())
    message = general or "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in errors.items())
    return back("/alerts", message, refused=True)


@router.post("/devices/{device_id}/interval", response_class=HTMLResponse)
async def change_device_interval(request: Request, device_id: str) -> Response:
    """The device's own polling interval (10 s and up), or the ISP's when left empty."""
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    written = str(form.get("poll_interval_s", "")).strip()[:10]
    isp = await isp_id_of(request, signed)
    path = f"/api/v1/network/isp/{isp}/devices/{quote(device_id, safe='')}/monitoring"
    answer = await api(
        request, "PUT", path, signed, platform=True, json={"poll_interval_s": written or None}
    )
    target = f"/devices/{quote(device_id, safe='')}"
    if answer.status_code == 200:
        seconds = answer.json()["effective_interval_s"]
        return back(target, f"Polled every {seconds:g} s.")
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    errors, general = field_errors(answer.json())
    return back(target, general or "; ".join(errors.values()), refused=True)
