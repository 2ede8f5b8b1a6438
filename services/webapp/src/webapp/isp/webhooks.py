"""Webhooks: the ISP's endpoints for third parties (which events, where), each one's delivery
log, a test delivery, pausing, secret rotation and removal. The signing secret is shown once,
when it is made; the webhooks service keeps it sealed."""

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from webapp.isp.calls import api, back, isp_id_of, refusal_page, signed_in
from webapp.rendering import field_errors, page, problem_detail
from webapp.sessions import Signed, check_csrf

router = APIRouter(include_in_schema=False)


async def _base(request: Request, signed: Signed) -> str:
    return f"/api/v1/webhooks/isp/{await isp_id_of(request, signed)}"


async def _event_types(request: Request) -> list[dict[str, Any]]:
    answer = await api(
        request, "GET", "/api/v1/webhooks/event-types", platform=True, params={"audience": "isp"}
    )
    return answer.json() if answer.status_code == 200 else []


@router.get("/webhooks", response_class=HTMLResponse)
async def webhooks(request: Request, message: str = "", general: str = "") -> Response:
    signed = await signed_in(request)
    return await _webhooks_page(request, signed, message=message, general=general or None)


async def _webhooks_page(
    request: Request,
    signed: Signed,
    *,
    message: str = "",
    general: str | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    created: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    base = await _base(request, signed)
    listing = await api(request, "GET", f"{base}/endpoints", signed, platform=True)
    if (refused := refusal_page(request, signed, listing)) is not None:
        return refused
    listing.raise_for_status()
    return page(
        request,
        "isp/webhooks.html",
        {
            "signed": signed,
            "endpoints": listing.json(),
            "event_types": await _event_types(request),
            "values": values or {"event_types": []},
            "errors": errors or {},
            "general": general,
            "message": message[:300],
            "created": created,
        },
        status=status,
    )


@router.post("/webhooks", response_class=HTMLResponse)
async def subscribe(request: Request) -> Response:
    signed = await signed_in(request)
    form = await request.form()
    check_csrf(request, dict(form))
    values: dict[str, Any] = {
        "url": str(form.get("url", "")).strip()[:2000],
        "description": str(form.get("description", "")).strip()[:500],
        "event_types": [str(t)[:100] for t in form.getlist("event_types")][:100],
    }
    base = await _base(request, signed)
    answer = await api(request, "POST", f"{base}/endpoints", signed, platform=True, json=values)
    if answer.status_code == 201:
        return await _webhooks_page(request, signed, created=answer.json(), status=201)
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    errors, general = field_errors(answer.json())
    errors = {k.split(".")[0]: v for k, v in errors.items()}
    return await _webhooks_page(
        request,
        signed,
        values=values,
        errors=errors,
        general=general,
        status=answer.status_code if 400 <= answer.status_code < 500 else 502,
    )


@router.get("/webhooks/{endpoint_id}", response_class=HTMLResponse)
async def endpoint(
    request: Request, endpoint_id: str, message: str = "", general: str = ""
) -> Response:
    signed = await signed_in(request)
    base = f"{await _base(request, signed)}/endpoints/{quote(endpoint_id, safe='')}"
    found = await api(request, "GET", base, signed, platform=True)
    if found.status_code in (404, 422):
        return page(request, "public/not_found.html", {"what": "webhook endpoint"}, status=404)
    if (refused := refusal_page(request, signed, found)) is not None:
        return refused
    found.raise_for_status()
    attempts = await api(
        request, "GET", f"{base}/attempts", signed, platform=True, params={"limit": 50}
    )
    return page(
        request,
        "isp/webhook.html",
        {
            "signed": signed,
            "endpoint": found.json(),
            "attempts": attempts.json()["attempts"] if attempts.status_code == 200 else [],
            "message": message[:300],
            "general": general[:300] or None,
        },
    )


ACTIONS = {
    "test": ("POST", "/test", None, "A webhook.test event is on its way: see it below."),
    "disable": ("PATCH", "", {"enabled": False}, "Paused: nothing is delivered until resumed."),
    "enable": ("PATCH", "", {"enabled": True}, "Resumed: deliveries start again."),
    "delete": ("DELETE", "", None, "Removed: it gets no more deliveries."),
}


@router.post("/webhooks/{endpoint_id}/{action}", response_class=HTMLResponse)
async def act(request: Request, endpoint_id: str, action: str) -> Response:
    signed = await signed_in(request)
    check_csrf(request, dict(await request.form()))
    target = f"/webhooks/{quote(endpoint_id, safe='')}"
    path = f"{await _base(request, signed)}/endpoints/{quote(endpoint_id, safe='')}"
    if action == "rotate":
        rotated = await api(request, "POST", f"{path}/secret/rotate", signed, platform=True)
        if rotated.status_code != 200:
            return back(target, problem_detail(rotated), refused=True)
        found = await api(request, "GET", path, signed, platform=True)
        return page(
            request,
            "isp/webhook.html",
            {"signed": signed, "endpoint": found.json(), "attempts": [],
             "rotated": rotated.json()},
        )  # fmt: skip
    if action not in ACTIONS:
        return page(request, "public/not_found.html", {"what": "page"}, status=404)
    method, suffix, body, done = ACTIONS[action]
    options = {"json": body} if body is not None else {}
    answer = await api(request, method, f"{path}{suffix}", signed, platform=True, **options)
    if answer.status_code not in (200, 201, 202, 204):
        return back(target, problem_detail(answer), refused=True)
    return back("/webhooks" if action == "delete" else target, done)
