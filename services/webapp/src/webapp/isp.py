"""An ISP's admin pages, on its own host (`<slug>.<tenant base domain>`): signing in (the first
time with the code from the welcome mail), the dashboard, and its customers. Every call goes to
tenant-api on the person's behalf, with the token their session holds, so tenant-api's roles,
plugins and isolation decide what they see; a page a tier lacks shows the upgrade path."""

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.datastructures import UploadFile

from webapp import sessions
from webapp.rendering import (
    SignInFirst,
    field_errors,
    isp_slug,
    page,
    problem_detail,
    to_sign_in,
    webapp_of,
)
from webapp.sessions import Signed, check_csrf

router = APIRouter(include_in_schema=False)
SIGN_IN = "/signin"
STATUSES = ("lead", "active", "suspended", "cancelled")


def _host(request: Request) -> dict[str, str]:
    """The ISP's host, as tenant-api (through the gateway) tells ISPs apart."""
    return {"Host": request.headers.get("host", "")}


async def _signed(request: Request) -> Signed:
    if isp_slug(request) is None:
        raise SignInFirst(SIGN_IN)
    signed = await sessions.current(webapp_of(request), request, "isp")
    if signed is None:
        raise SignInFirst(SIGN_IN)
    return signed


async def _api(
    request: Request,
    method: str,
    path: str,
    signed: Signed | None = None,
    *,
    platform: bool = False,
    **options: Any,
) -> httpx.Response:
    """Call an API through the gateway as the signed-in person: tenant-api's on the ISP's own
    host; with `platform`, a platform service's (billing, network, licensing) on the
    platform's host, where the gateway routes them by path."""
    headers = {
        **({} if platform else _host(request)),
        **(signed.bearer if signed else {}),
        **options.pop("headers", {}),
    }
    return await webapp_of(request).gateway.request(method, path, headers=headers, **options)


def _back_to_sign_in(request: Request) -> RedirectResponse:
    return to_sign_in(request, SIGN_IN)


# --- signing in and out ---------------------------------------------------------------------------


@router.get("/signin", response_class=HTMLResponse)
async def sign_in_form(request: Request, next: str = "/") -> Response:
    return page(request, "isp/signin.html", {"values": {}, "next": _local(next)})


@router.post("/signin", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    form = dict(await request.form())
    check_csrf(request, form)
    email, password = str(form.get("email", "")).strip(), str(form.get("password", ""))
    target = _local(str(form.get("next", "/")))
    answer = await _api(
        request, "POST", "/api/v1/auth/login", json={"email": email, "password": password}
    )
    if answer.status_code != 200:
        message = (
            "That email and password do not match a person of this ISP."
            if answer.status_code in (401, 422)
            else problem_detail(answer)
        )
        return page(
            request,
            "isp/signin.html",
            {"values": {"email": email}, "next": target, "general": message},
            status=401 if answer.status_code in (401, 422) else answer.status_code,
        )
    return await _signed_in(request, answer.json(), email, target)


@router.get("/first-login", response_class=HTMLResponse)
async def first_login_form(request: Request) -> Response:
    return page(request, "isp/first_login.html", {"values": {}, "errors": {}})


@router.post("/first-login", response_class=HTMLResponse)
async def first_login(request: Request) -> Response:
    form = dict(await request.form())
    check_csrf(request, form)
    token, password = str(form.get("token", "")).strip(), str(form.get("password", ""))
    answer = await _api(
        request, "POST", "/api/v1/auth/first-login", json={"token": token, "password": password}
    )
    if answer.status_code != 200:
        errors, general = (
            field_errors(answer.json())
            if answer.status_code == 422
            else ({}, "That code is not valid any more: ask for a new welcome mail.")
        )
        return page(
            request,
            "isp/first_login.html",
            {"values": {}, "errors": errors, "general": general},
            status=answer.status_code if answer.status_code in (401, 422) else 400,
        )
    pair = answer.json()
    me = await _api(
        request,
        "GET",
        "/api/v1/auth/me",
        headers={"Authorization": f"Bearer {pair['access_token']}"},
    )
    return await _signed_in(request, pair, me.json().get("email", ""), "/")


async def _signed_in(request: Request, pair: dict[str, Any], person: str, target: str) -> Response:
    response = RedirectResponse(target, status_code=303)
    await sessions.start(
        webapp_of(request),
        request,
        response,
        kind="isp",
        person=person,
        access_token=pair["access_token"],
        refresh_token=pair.get("refresh_token"),
    )
    return response


@router.post("/signout")
async def sign_out(request: Request) -> Response:
    form = dict(await request.form())
    check_csrf(request, form)
    response = RedirectResponse("/signin", status_code=303)
    refresh = await sessions.end(webapp_of(request), request, response)
    if refresh:  # revoke it at tenant-api too
        await _api(request, "POST", "/api/v1/auth/logout", json={"refresh_token": refresh})
    return response


# --- the dashboard and customers ------------------------------------------------------------------


async def dashboard(request: Request) -> Response:
    signed = await _signed(request)
    counts: dict[str, int] = {}
    for status in STATUSES:
        answer = await _api(
            request, "GET", "/api/v1/customers", signed, params={"status": status, "limit": 1}
        )
        if answer.status_code == 401:
            return _back_to_sign_in(request)
        counts[status] = answer.json()["total"] if answer.status_code == 200 else 0
    me = (await _api(request, "GET", "/api/v1/auth/me", signed)).json()
    licence = await _api(request, "GET", "/api/v1/tenant/entitlements", signed)
    plugins = set(licence.json().get("plugins", [])) if licence.status_code == 200 else set()
    tickets = await _api(
        request, "GET", "/api/v1/tickets", signed, params={"status": "open", "limit": 1}
    )
    mrr = None
    if "basic_reporting" in plugins:
        report = await _api(request, "GET", "/api/v1/reports/mrr-by-plan", signed)
        mrr = report.json() if report.status_code == 200 else None
    network = None
    if "network_monitoring" in plugins:
        devices = await _api(request, "GET", "/api/v1/devices", signed, params={"limit": 1})
        alerts = await _api(
            request,
            "GET",
            f"/api/v1/network/isp/{me['tenant_id']}/alerts",
            signed,
            platform=True,
            params={"state": "open", "limit": 20},
        )
        network = {
            "devices": devices.json()["total"] if devices.status_code == 200 else None,
            "alerts": alerts.json()["items"] if alerts.status_code == 200 else [],
        }
    return page(
        request,
        "isp/dashboard.html",
        {
            "signed": signed,
            "me": me,
            "counts": counts,
            "licence": licence.json() if licence.status_code == 200 else None,
            "open_tickets": tickets.json()["total"] if tickets.status_code == 200 else None,
            "mrr": mrr,
            "network": network,
        },
    )


@router.get("/customers", response_class=HTMLResponse)
async def customers(request: Request, q: str = "", status: str = "", offset: int = 0) -> Response:
    signed = await _signed(request)
    params: dict[str, Any] = {"limit": 50, "offset": max(offset, 0)}
    if q.strip():
        params["q"] = q.strip()[:200]
    if status in STATUSES:
        params["status"] = status
    answer = await _api(request, "GET", "/api/v1/customers", signed, params=params)
    if answer.status_code == 401:
        return _back_to_sign_in(request)
    if answer.status_code == 403:
        return page(
            request, "isp/gated.html", {"signed": signed, "problem": answer.json()}, status=403
        )
    listing = answer.json() if answer.status_code == 200 else {"items": [], "total": 0}
    problem = None if answer.status_code == 200 else problem_detail(answer)
    return page(
        request,
        "isp/customers.html",
        {
            "signed": signed,
            "listing": listing,
            "q": q,
            "status": status,
            "statuses": STATUSES,
            "offset": params["offset"],
            "problem": problem,
        },
    )


@router.get("/customers/new", response_class=HTMLResponse)
async def new_customer_form(request: Request) -> Response:
    signed = await _signed(request)
    return page(request, "isp/customer_new.html", {"signed": signed, "values": {}, "errors": {}})


@router.post("/customers/new", response_class=HTMLResponse)
async def create_customer(request: Request) -> Response:
    signed = await _signed(request)
    form = dict(await request.form())
    check_csrf(request, form)
    values = {k: str(form.get(k, "")).strip() for k in ("name", "email", "phone", "kind", "status")}
    document = {k: v for k, v in values.items() if v}
    answer = await _api(request, "POST", "/api/v1/customers", signed, json=document)
    if answer.status_code in (200, 201):
        return RedirectResponse(f"/customers?{urlencode({'q': values['name']})}", status_code=303)
    if answer.status_code == 401:
        return _back_to_sign_in(request)
    errors, general = field_errors(answer.json())
    return page(
        request,
        "isp/customer_new.html",
        {"signed": signed, "values": values, "errors": errors, "general": general},
        status=answer.status_code if 400 <= answer.status_code < 500 else 502,
    )


def _gated(request: Request, signed: Signed, answer: httpx.Response) -> Response | None:
    """A page the tier lacks (tenant-api's 403 names the plugin and the lowest tier that has
    it): the upgrade path instead of a broken page. None when the answer is no such refusal."""
    if answer.status_code != 403:
        return None
    problem = answer.json()
    if "required_tier" not in problem and "plugin" not in str(problem.get("detail", "")):
        return page(
            request, "isp/forbidden.html", {"signed": signed, "problem": problem}, status=403
        )
    return page(request, "isp/gated.html", {"signed": signed, "problem": problem}, status=403)


# --- licence and plan -----------------------------------------------------------------------------


@router.get("/plan", response_class=HTMLResponse)
async def plan(request: Request, message: str = "") -> Response:
    signed = await _signed(request)
    me = (await _api(request, "GET", "/api/v1/auth/me", signed)).json()
    licence = (await _api(request, "GET", "/api/v1/tenant/entitlements", signed)).json()
    tiers = (await _api(request, "GET", "/api/v1/tiers", platform=True)).json()["tiers"]
    return page(
        request,
        "isp/plan.html",
        {"signed": signed, "me": me, "licence": licence, "tiers": tiers, "message": message},
    )


@router.post("/plan", response_class=HTMLResponse)
async def change_plan(request: Request) -> Response:
    signed = await _signed(request)
    form = dict(await request.form())
    check_csrf(request, form)
    me = (await _api(request, "GET", "/api/v1/auth/me", signed)).json()
    tier = str(form.get("tier", ""))
    answer = await _api(
        request,
        "PUT",
        f"/api/v1/isp/{me['tenant_id']}/billing/tier",
        signed,
        platform=True,
        json={"tier": tier},
    )
    if answer.status_code == 200:
        message = f"Moving to {tier.title()}: your licence follows once the payment is through."
    else:
        message = problem_detail(answer)
    return RedirectResponse(f"/plan?{urlencode({'message': message})}", status_code=303)


# --- devices, with their traffic live -------------------------------------------------------------


@router.get("/devices", response_class=HTMLResponse)
async def devices(request: Request) -> Response:
    signed = await _signed(request)
    answer = await _api(request, "GET", "/api/v1/devices", signed, params={"limit": 200})
    if answer.status_code == 401:
        return _back_to_sign_in(request)
    if (gated := _gated(request, signed, answer)) is not None:
        return gated
    answer.raise_for_status()
    return page(request, "isp/devices.html", {"signed": signed, "listing": answer.json()})


@router.get("/devices/live")
async def devices_live(request: Request) -> Response:
    """The ISP's device readings as server-sent events, relayed from tenant-api with the
    session's token (a browser's EventSource can send no Authorization header)."""
    try:
        signed = await _signed(request)
    except SignInFirst:
        return Response(status_code=401)
    gateway = webapp_of(request).gateway
    upstream = gateway.build_request(
        "GET",
        "/api/v1/devices/telemetry",
        headers={**_host(request), **signed.bearer, "Accept": "text/event-stream"},
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


# --- customer import and export -------------------------------------------------------------------


@router.get("/customers/export")
async def export_customers(request: Request) -> Response:
    signed = await _signed(request)
    answer = await _api(request, "GET", "/api/v1/customers", signed, headers={"Accept": "text/csv"})
    if answer.status_code != 200:
        return _gated(request, signed, answer) or _back_to_sign_in(request)
    return Response(
        answer.content,
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="customers.csv"'},
    )


@router.get("/customers/import", response_class=HTMLResponse)
async def import_form(request: Request) -> Response:
    signed = await _signed(request)
    return page(request, "isp/import.html", {"signed": signed, "report": None})


@router.post("/customers/import", response_class=HTMLResponse)
async def upload_import(request: Request) -> Response:
    signed = await _signed(request)
    form = await request.form()
    check_csrf(request, dict(form))
    upload = form.get("file")
    content = await upload.read() if isinstance(upload, UploadFile) else b""
    if not content:
        return page(
            request,
            "isp/import.html",
            {"signed": signed, "report": None, "general": "Choose a CSV file to import."},
            status=422,
        )
    answer = await _api(
        request,
        "POST",
        "/api/v1/customer-imports",
        signed,
        content=content,
        headers={"Content-Type": "text/csv"},
        params={"filename": str(getattr(upload, "filename", "") or "import.csv")[:200]},
    )
    if answer.status_code != 201:
        return page(
            request,
            "isp/import.html",
            {"signed": signed, "report": None, "general": problem_detail(answer)},
            status=answer.status_code if 400 <= answer.status_code < 500 else 502,
        )
    return page(request, "isp/import.html", {"signed": signed, "report": answer.json()})


@router.post("/customers/import/{import_id}/commit", response_class=HTMLResponse)
async def commit_import(request: Request, import_id: str) -> Response:
    signed = await _signed(request)
    form = dict(await request.form())
    check_csrf(request, form)
    choice = str(form.get("on_duplicate", "")) or None
    answer = await _api(
        request,
        "POST",
        f"/api/v1/customer-imports/{quote(import_id, safe='')}/commit",
        signed,
        json={"on_duplicate": choice} if choice else {},
    )
    if answer.status_code == 200:
        return page(
            request, "isp/import.html", {"signed": signed, "report": answer.json(), "done": True}
        )
    report = await _api(
        request, "GET", f"/api/v1/customer-imports/{quote(import_id, safe='')}", signed
    )
    return page(
        request,
        "isp/import.html",
        {
            "signed": signed,
            "report": report.json() if report.status_code == 200 else None,
            "general": problem_detail(answer),
        },
        status=answer.status_code if 400 <= answer.status_code < 500 else 502,
    )


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
async def customer(request: Request, customer_id: str, general: str = "") -> Response:
    signed = await _signed(request)
    path = f"/api/v1/customers/{quote(customer_id, safe='')}"
    found = await _api(request, "GET", path, signed)
    if found.status_code in (404, 422):
        return page(request, "public/not_found.html", {"what": "customer"}, status=404)
    if found.status_code == 401:
        return _back_to_sign_in(request)
    found.raise_for_status()
    history = await _api(request, "GET", f"{path}/status-history", signed)
    notes = await _api(request, "GET", f"{path}/notes", signed)
    return page(
        request,
        "isp/customer.html",
        {
            "signed": signed,
            "customer": found.json(),
            "history": history.json()["changes"] if history.status_code == 200 else [],
            "notes": notes.json()["notes"] if notes.status_code == 200 else [],
            "statuses": STATUSES,
            "general": general[:300] or None,
        },
    )


@router.post("/customers/{customer_id}/status", response_class=HTMLResponse)
async def change_customer_status(request: Request, customer_id: str) -> Response:
    """A status change with its reason (tenant-api asks for one to suspend or cancel)."""
    signed = await _signed(request)
    form = dict(await request.form())
    check_csrf(request, form)
    change = {"status": str(form.get("status", ""))}
    if reason := str(form.get("reason", "")).strip():
        change["reason"] = reason
    path = f"/api/v1/customers/{quote(customer_id, safe='')}"
    answer = await _api(request, "POST", f"{path}/status", signed, json=change)
    target = f"/customers/{quote(customer_id, safe='')}"
    if answer.status_code != 200:
        errors, general = field_errors(answer.json())
        message = general or "; ".join(f"{k}: {v}" for k, v in errors.items())
        return RedirectResponse(f"{target}?{urlencode({'general': message})}", status_code=303)
    return RedirectResponse(target, status_code=303)


@router.post("/customers/{customer_id}/notes", response_class=HTMLResponse)
async def add_customer_note(request: Request, customer_id: str) -> Response:
    signed = await _signed(request)
    form = dict(await request.form())
    check_csrf(request, form)
    path = f"/api/v1/customers/{quote(customer_id, safe='')}/notes"
    answer = await _api(
        request, "POST", path, signed, json={"body": str(form.get("body", "")).strip()}
    )
    target = f"/customers/{quote(customer_id, safe='')}"
    if answer.status_code != 201:
        errors, general = field_errors(answer.json())
        message = general or "; ".join(errors.values())
        return RedirectResponse(f"{target}?{urlencode({'general': message})}", status_code=303)
    return RedirectResponse(target, status_code=303)


# --- people and API keys -------------------------------------------------------------------------

ROLES = ("admin", "billing", "support", "read_only", "owner")
KEY_SCOPES = (
    "customers:read",
    "customers:write",
    "billing:read",
    "billing:write",
    "tickets:read",
    "tickets:write",
    "network:read",
    "network:write",
    "webhooks:manage",
)


@router.get("/users", response_class=HTMLResponse)
async def users(request: Request) -> Response:
    signed = await _signed(request)
    answer = await _api(request, "GET", "/api/v1/users", signed)
    if (gated := _gated(request, signed, answer)) is not None:
        return gated
    answer.raise_for_status()
    return page(
        request,
        "isp/users.html",
        {"signed": signed, "people": answer.json()["users"], "roles": ROLES, "values": {},
         "errors": {}},
    )  # fmt: skip


@router.post("/users", response_class=HTMLResponse)
async def invite(request: Request) -> Response:
    """Invite a person with a role: tenant-api mails them their first sign-in code."""
    signed = await _signed(request)
    form = dict(await request.form())
    check_csrf(request, form)
    values = {k: str(form.get(k, "")).strip() for k in ("name", "email", "role")}
    answer = await _api(request, "POST", "/api/v1/users", signed, json=values)
    if answer.status_code == 201:
        return RedirectResponse("/users", status_code=303)
    if (gated := _gated(request, signed, answer)) is not None:
        return gated
    errors, general = field_errors(answer.json())
    listing = await _api(request, "GET", "/api/v1/users", signed)
    return page(
        request,
        "isp/users.html",
        {
            "signed": signed,
            "people": listing.json().get("users", []) if listing.status_code == 200 else [],
            "roles": ROLES,
            "values": values,
            "errors": errors,
            "general": general,
        },
        status=answer.status_code if 400 <= answer.status_code < 500 else 502,
    )


@router.get("/api-keys", response_class=HTMLResponse)
async def api_keys(request: Request) -> Response:
    signed = await _signed(request)
    answer = await _api(request, "GET", "/api/v1/api-keys", signed)
    if (gated := _gated(request, signed, answer)) is not None:
        return gated
    answer.raise_for_status()
    return page(
        request,
        "isp/api_keys.html",
        {"signed": signed, "keys": answer.json()["api_keys"], "scopes": KEY_SCOPES,
         "created": None, "errors": {}},
    )  # fmt: skip


@router.post("/api-keys", response_class=HTMLResponse)
async def create_api_key(request: Request) -> Response:
    """A new key, shown on this page once (tenant-api keeps only its hash); the page is never
    cached."""
    signed = await _signed(request)
    form = await request.form()
    check_csrf(request, dict(form))
    document = {
        "name": str(form.get("name", "")).strip(),
        "scopes": [str(v) for v in form.getlist("scopes")],
    }
    answer = await _api(request, "POST", "/api/v1/api-keys", signed, json=document)
    if (gated := _gated(request, signed, answer)) is not None:
        return gated
    created = answer.json() if answer.status_code == 201 else None
    errors, general = ({}, None) if created else field_errors(answer.json())
    listing = await _api(request, "GET", "/api/v1/api-keys", signed)
    return page(
        request,
        "isp/api_keys.html",
        {
            "signed": signed,
            "keys": listing.json().get("api_keys", []) if listing.status_code == 200 else [],
            "scopes": KEY_SCOPES,
            "created": created,
            "errors": errors,
            "general": general,
        },
        status=201 if created else (answer.status_code if answer.status_code < 500 else 502),
    )


@router.post("/api-keys/{key_id}/revoke", response_class=HTMLResponse)
async def revoke_api_key(request: Request, key_id: str) -> Response:
    signed = await _signed(request)
    check_csrf(request, dict(await request.form()))
    await _api(request, "DELETE", f"/api/v1/api-keys/{quote(key_id, safe='')}", signed)
    return RedirectResponse("/api-keys", status_code=303)


# --- tickets --------------------------------------------------------------------------------------


@router.get("/tickets", response_class=HTMLResponse)
async def tickets(request: Request, status: str = "") -> Response:
    signed = await _signed(request)
    params: dict[str, Any] = {"limit": 100}
    if status:
        params["status"] = status[:20]
    answer = await _api(request, "GET", "/api/v1/tickets", signed, params=params)
    if (gated := _gated(request, signed, answer)) is not None:
        return gated
    listing = answer.json() if answer.status_code == 200 else {"items": [], "total": 0}
    return page(request, "isp/tickets.html", {"signed": signed, "listing": listing})


@router.get("/tickets/new", response_class=HTMLResponse)
async def new_ticket_form(request: Request) -> Response:
    signed = await _signed(request)
    return page(request, "isp/ticket_new.html", {"signed": signed, "values": {}, "errors": {}})


@router.post("/tickets/new", response_class=HTMLResponse)
async def open_ticket(request: Request) -> Response:
    signed = await _signed(request)
    form = dict(await request.form())
    check_csrf(request, form)
    values = {k: str(form.get(k, "")).strip() for k in ("subject", "description", "priority")}
    document = {k: v for k, v in values.items() if v}
    answer = await _api(request, "POST", "/api/v1/tickets", signed, json=document)
    if answer.status_code == 201:
        return RedirectResponse(f"/tickets/{answer.json()['id']}", status_code=303)
    errors, general = field_errors(answer.json())
    return page(
        request,
        "isp/ticket_new.html",
        {"signed": signed, "values": values, "errors": errors, "general": general},
        status=answer.status_code if 400 <= answer.status_code < 500 else 502,
    )


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
async def ticket(request: Request, ticket_id: str) -> Response:
    signed = await _signed(request)
    answer = await _api(request, "GET", f"/api/v1/tickets/{quote(ticket_id, safe='')}", signed)
    if answer.status_code in (404, 422):
        return page(request, "public/not_found.html", {"what": "ticket"}, status=404)
    answer.raise_for_status()
    return page(request, "isp/ticket.html", {"signed": signed, "ticket": answer.json()})


@router.post("/tickets/{ticket_id}", response_class=HTMLResponse)
async def update_ticket(request: Request, ticket_id: str) -> Response:
    """A comment, a status change, or both."""
    signed = await _signed(request)
    form = dict(await request.form())
    check_csrf(request, form)
    path = f"/api/v1/tickets/{quote(ticket_id, safe='')}"
    body = str(form.get("body", "")).strip()
    status = str(form.get("status", "")).strip()
    problem = None
    if body:
        said = await _api(request, "POST", f"{path}/comments", signed, json={"body": body})
        if said.status_code != 201:
            problem = problem_detail(said)
    if status and problem is None:
        moved = await _api(request, "PATCH", path, signed, json={"status": status})
        if moved.status_code != 200:
            problem = problem_detail(moved)
    if problem is None:
        return RedirectResponse(path.replace("/api/v1", ""), status_code=303)
    answer = await _api(request, "GET", path, signed)
    return page(
        request,
        "isp/ticket.html",
        {"signed": signed, "ticket": answer.json(), "general": problem},
        status=422,
    )


def _local(target: str) -> str:
    """Only a path of this site: never an open redirect to another."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
