"""The operator console, on the platform's own host: signing in with the operator token, every
ISP by state, tier and region, and one ISP's deployment step by step with its workflow in the
Temporal UI, its health and unpaid invoices where billing knows them.

The token is checked by the platform's APIs, not here: signing in asks registration's operator
listing with it, and the session keeps it server-side for the calls that follow, so the web app
holds no operator credential of its own and a rotated token ends every session made with the
old one at its next call."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode
from uuid import UUID

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dotmac_contracts.vocabulary import DeploymentState, Region, Tier
from servicekit.problems import NotFound
from webapp import sessions
from webapp.rendering import (
    SignInFirst,
    isp_slug,
    money,
    page,
    problem_detail,
    to_sign_in,
    webapp_of,
)
from webapp.sessions import Signed, check_csrf

router = APIRouter(prefix="/operator", include_in_schema=False)

KIND = "operator"
SIGN_IN = "/operator/signin"
LISTING = "/api/v1/registration/operator/isps"
PAGE_SIZE = 50
STATES = tuple(s.value for s in DeploymentState)
TIERS = tuple(t.value for t in Tier)
REGIONS = tuple(r.value for r in Region)
WRONG_TOKEN = "That is not the operator token. Check it and try again."


def _on_platform_host(request: Request) -> None:
    """The console is the platform's: an ISP's host has no such pages."""
    if isp_slug(request) is not None:
        raise NotFound("There is no such page on an ISP's site.")


async def _signed(request: Request) -> Signed:
    _on_platform_host(request)
    signed = await sessions.current(webapp_of(request), request, KIND)
    if signed is None:
        raise SignInFirst(SIGN_IN)
    return signed


async def _api(
    request: Request, path: str, token: str, params: Mapping[str, Any] | None = None
) -> httpx.Response:
    return await webapp_of(request).gateway.get(
        path, params=params, headers={"Authorization": f"Bearer {token}"}
    )


def _back_to_sign_in(request: Request) -> RedirectResponse:
    return to_sign_in(request, SIGN_IN)


# --- signing in and out -------------------------------------------------------------------------


@router.get("/signin", response_class=HTMLResponse)
async def sign_in_form(request: Request, next: str = "/operator") -> Response:
    _on_platform_host(request)
    return page(request, "operator/signin.html", {"next": _console_path(next)})


@router.post("/signin", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    _on_platform_host(request)
    form = dict(await request.form())
    check_csrf(request, form)
    token = str(form.get("token", "")).strip()
    target = _console_path(str(form.get("next", "/operator")))
    if not token:
        return _refused(request, target, "Enter the operator token.", 422)
    if not _usable(token):
        return _refused(request, target, WRONG_TOKEN, 401)
    answer = await _api(request, LISTING, token, {"limit": 1})
    if answer.status_code == 401:
        return _refused(request, target, WRONG_TOKEN, 401)
    if answer.status_code != 200:
        return _refused(
            request,
            target,
            f"The platform could not check the token now ({answer.status_code}): try again.",
            502,
        )
    response = RedirectResponse(target, status_code=303)
    await sessions.start(
        webapp_of(request), request, response, kind=KIND, person="operator", access_token=token
    )
    return response


def _refused(request: Request, target: str, message: str, status: int) -> Response:
    # The token is never sent back into the page.
    return page(
        request, "operator/signin.html", {"next": target, "general": message}, status=status
    )


@router.post("/signout")
async def sign_out(request: Request) -> Response:
    _on_platform_host(request)
    form = dict(await request.form())
    check_csrf(request, form)
    response = RedirectResponse("/operator/signin", status_code=303)
    await sessions.end(webapp_of(request), request, response)
    return response


# --- the console --------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
async def console(
    request: Request,
    q: str = "",
    state: str = "",
    tier: str = "",
    region: str = "",
    offset: int = 0,
) -> Response:
    signed = await _signed(request)
    filters = {
        "q": q.strip()[:200].replace("\x00", ""),
        "state": state if state in STATES else "",
        "tier": tier if tier in TIERS else "",
        "region": region if region in REGIONS else "",
    }
    offset = min(max(offset, 0), 1_000_000)
    params = {k: v for k, v in filters.items() if v} | {"limit": PAGE_SIZE, "offset": offset}
    answer = await _api(request, LISTING, signed.access_token, params)
    if answer.status_code == 401:
        return _back_to_sign_in(request)
    listing = answer.json() if answer.status_code == 200 else None
    revenue = await _billing(request, signed, "/api/v1/billing/operator/revenue")
    failed = await _billing(request, signed, "/api/v1/billing/operator/failed-payments")
    return page(
        request,
        "operator/console.html",
        {
            "operator": signed,
            "listing": listing,
            "problem": None if listing else problem_detail(answer),
            "filters": filters,
            "offset": offset,
            "page_size": PAGE_SIZE,
            "query": lambda **changes: urlencode({**filters, **changes}),
            "states": STATES,
            "tiers": TIERS,
            "regions": REGIONS,
            "revenue": revenue,
            "failed": failed,
            "money": money,
            "when": when,
        },
    )


@router.get("/isps/{isp_id}", response_class=HTMLResponse)
async def isp(request: Request, isp_id: UUID) -> Response:
    signed = await _signed(request)
    summary = await _api(request, f"{LISTING}/{isp_id}", signed.access_token)
    if summary.status_code == 401:
        return _back_to_sign_in(request)
    if summary.status_code == 404:
        return page(
            request, "public/not_found.html", {"what": "ISP", "operator": signed}, status=404
        )
    summary.raise_for_status()
    deployment = await _api(request, f"/api/v1/isp/{isp_id}/deployment", signed.access_token)
    deployment.raise_for_status()
    status = deployment.json()
    health = await _billing(request, signed, f"/api/v1/billing/operator/isps/{isp_id}/health")
    failed = await _billing(request, signed, "/api/v1/billing/operator/failed-payments")
    unpaid = [u for u in (failed or {}).get("outstanding", ()) if u.get("isp_id") == str(isp_id)]
    return page(
        request,
        "operator/isp.html",
        {
            "operator": signed,
            "isp": summary.json(),
            "status": status,
            "workflow_url": workflow_url(request, status.get("workflow_id")),
            "health": health,
            "billing_answered": failed is not None,
            "unpaid": unpaid,
            "money": money,
            "when": when,
        },
    )


async def _billing(request: Request, signed: Signed, path: str) -> dict[str, Any] | None:
    """What billing answers, or None where it does not (no account for this ISP, billing
    down): the page leaves that part out rather than guess."""
    try:
        answer = await _api(request, path, signed.access_token)
    except httpx.HTTPError:
        return None
    return answer.json() if answer.status_code == 200 else None  # type: ignore[no-any-return]


def workflow_url(request: Request, workflow_id: str | None) -> str | None:
    """The onboarding workflow's page in the Temporal UI."""
    if not workflow_id:
        return None
    settings = webapp_of(request).settings
    ui = settings.temporal_ui_url.rstrip("/")
    namespace = quote(settings.platform.temporal_namespace, safe="")
    return f"{ui}/namespaces/{namespace}/workflows/{quote(workflow_id, safe='')}"


def when(value: str | None) -> str:
    """An API's timestamp as a person reads it, in UTC to the minute."""
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _usable(token: str) -> bool:
    """A token that can travel in a header at all; anything else is not the operator's."""
    return len(token) <= 512 and token.isascii() and token.isprintable()


def _console_path(target: str) -> str:
    """Only a page of the console: never an open redirect, nor a trip off the console."""
    of_console = target == "/operator" or target.startswith(("/operator/", "/operator?"))
    if not of_console or target.startswith("/operator/signin") or "//" in target or "\\" in target:
        return "/operator"
    return target
