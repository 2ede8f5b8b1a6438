"""Signing in (the first time with the code from the welcome mail) and out."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from webapp import sessions
from webapp.isp.calls import (
    api,
    local_path,
)
from webapp.rendering import field_errors, page, problem_detail, webapp_of
from webapp.sessions import check_csrf

router = APIRouter(include_in_schema=False)


# --- signing in and out ---------------------------------------------------------------------------


@router.get("/signin", response_class=HTMLResponse)
async def sign_in_form(request: Request, next: str = "/") -> Response:
    return page(request, "isp/signin.html", {"values": {}, "next": local_path(next)})


@router.post("/signin", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    form = dict(await request.form())
    check_csrf(request, form)
    email, password = str(form.get("email", "")).strip(), str(form.get("password", ""))
    target = local_path(str(form.get("next", "/")))
    answer = await api(
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
    answer = await api(
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
    me = await api(
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
        await api(request, "POST", "/api/v1/auth/logout", json={"refresh_token": refresh})
    return response
