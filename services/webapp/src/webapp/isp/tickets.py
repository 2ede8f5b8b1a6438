"""Tickets with their comments."""

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from webapp.isp.calls import (
    api,
    refusal_page,
    signed_in,
)
from webapp.rendering import field_errors, page, problem_detail
from webapp.sessions import check_csrf

router = APIRouter(include_in_schema=False)


# --- tickets --------------------------------------------------------------------------------------


@router.get("/tickets", response_class=HTMLResponse)
async def tickets(request: Request, status: str = "") -> Response:
    signed = await signed_in(request)
    params: dict[str, Any] = {"limit": 100}
    if status:
        params["status"] = status[:20]
    answer = await api(request, "GET", "/api/v1/tickets", signed, params=params)
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    listing = answer.json() if answer.status_code == 200 else {"items": [], "total": 0}
    return page(request, "isp/tickets.html", {"signed": signed, "listing": listing})


@router.get("/tickets/new", response_class=HTMLResponse)
async def new_ticket_form(request: Request) -> Response:
    signed = await signed_in(request)
    return page(request, "isp/ticket_new.html", {"signed": signed, "values": {}, "errors": {}})


@router.post("/tickets/new", response_class=HTMLResponse)
async def open_ticket(request: Request) -> Response:
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    values = {k: str(form.get(k, "")).strip() for k in ("subject", "description", "priority")}
    document = {k: v for k, v in values.items() if v}
    answer = await api(request, "POST", "/api/v1/tickets", signed, json=document)
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
    signed = await signed_in(request)
    answer = await api(request, "GET", f"/api/v1/tickets/{quote(ticket_id, safe='')}", signed)
    if answer.status_code in (404, 422):
        return page(request, "public/not_found.html", {"what": "ticket"}, status=404)
    answer.raise_for_status()
    return page(request, "isp/ticket.html", {"signed": signed, "ticket": answer.json()})


@router.post("/tickets/{ticket_id}", response_class=HTMLResponse)
async def update_ticket(request: Request, ticket_id: str) -> Response:
    """A comment, a status change, or both."""
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    path = f"/api/v1/tickets/{quote(ticket_id, safe='')}"
    body = str(form.get("body", "")).strip()
    status = str(form.get("status", "")).strip()
    problem = None
    if body:
        said = await api(request, "POST", f"{path}/comments", signed, json={"body": body})
        if said.status_code != 201:
            problem = problem_detail(said)
    if status and problem is None:
        moved = await api(request, "PATCH", path, signed, json={"status": status})
        if moved.status_code != 200:
            problem = problem_detail(moved)
    if problem is None:
        return RedirectResponse(path.replace("/api/v1", ""), status_code=303)
    answer = await api(request, "GET", path, signed)
    return page(
        request,
        "isp/ticket.html",
        {"signed": signed, "ticket": answer.json(), "general": problem},
        status=422,
    )
