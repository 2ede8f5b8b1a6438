"""People and their roles, and API keys."""

from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from webapp.isp.calls import (
    api,
    refusal_page,
    signed_in,
)
from webapp.rendering import field_errors, page
from webapp.sessions import check_csrf

router = APIRouter(include_in_schema=False)


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
async def users(request: Request, message: str = "") -> Response:
    signed = await signed_in(request)
    answer = await api(request, "GET", "/api/v1/users", signed)
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    answer.raise_for_status()
    return page(
        request,
        "isp/users.html",
        {"signed": signed, "people": answer.json()["users"], "roles": ROLES, "values": {},
         "errors": {}, "general": message[:300] or None},
    )  # fmt: skip


@router.post("/users", response_class=HTMLResponse)
async def invite(request: Request) -> Response:
    """Invite a person with a role: tenant-api mails them their first sign-in code."""
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    values = {k: str(form.get(k, "")).strip() for k in ("name", "email", "role")}
    answer = await api(request, "POST", "/api/v1/users", signed, json=values)
    if answer.status_code == 201:
        return RedirectResponse("/users", status_code=303)
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    errors, general = field_errors(answer.json())
    listing = await api(request, "GET", "/api/v1/users", signed)
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


@router.post("/users/{user_id}", response_class=HTMLResponse)
async def change_person(request: Request, user_id: str) -> Response:
    """A new role, or disabling (which signs them out everywhere) or re-enabling someone.
    tenant-api refuses what would leave the ISP without an active owner."""
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    change = {k: str(form[k]) for k in ("role", "status") if form.get(k)}
    answer = await api(
        request, "PATCH", f"/api/v1/users/{quote(user_id, safe='')}", signed, json=change
    )
    if answer.status_code == 200:
        return RedirectResponse("/users", status_code=303)
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    errors, general = field_errors(answer.json())
    message = general or "; ".join(errors.values())
    return RedirectResponse(f"/users?{urlencode({'message': message})}", status_code=303)


@router.get("/api-keys", response_class=HTMLResponse)
async def api_keys(request: Request) -> Response:
    signed = await signed_in(request)
    answer = await api(request, "GET", "/api/v1/api-keys", signed)
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
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
    signed = await signed_in(request)
    form = await request.form()
    check_csrf(request, dict(form))
    document = {
        "name": str(form.get("name", "")).strip(),
        "scopes": [str(v) for v in form.getlist("scopes")],
    }
    answer = await api(request, "POST", "/api/v1/api-keys", signed, json=document)
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    created = answer.json() if answer.status_code == 201 else None
    errors, general = ({}, None) if created else field_errors(answer.json())
    listing = await api(request, "GET", "/api/v1/api-keys", signed)
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
    signed = await signed_in(request)
    check_csrf(request, dict(await request.form()))
    await api(request, "DELETE", f"/api/v1/api-keys/{quote(key_id, safe='')}", signed)
    return RedirectResponse("/api-keys", status_code=303)
