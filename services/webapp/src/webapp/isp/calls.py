"""What every ISP page does: find who is signed in on this ISP's host, call an API through the
gateway as them, and turn a refusal into the sign-in page or the upgrade path."""

from typing import Any
from urllib.parse import quote, urlencode

import httpx
from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from webapp import sessions
from webapp.rendering import SignInFirst, field_errors, isp_slug, page, to_sign_in, webapp_of
from webapp.sessions import Signed

SIGN_IN = "/signin"
STATUSES = ("lead", "active", "suspended", "cancelled")


def host(request: Request) -> dict[str, str]:
    """The ISP's host, as tenant-api (through the gateway) tells ISPs apart."""
    return {"Host": request.headers.get("host", "")}


async def signed_in(request: Request) -> Signed:
    if isp_slug(request) is None:
        raise SignInFirst(SIGN_IN)
    signed = await sessions.current(webapp_of(request), request, "isp")
    if signed is None:
        raise SignInFirst(SIGN_IN)
    return signed


async def api(
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
        **({} if platform else host(request)),
        **(signed.bearer if signed else {}),
        **options.pop("headers", {}),
    }
    return await webapp_of(request).gateway.request(method, path, headers=headers, **options)


def back_to_sign_in(request: Request) -> RedirectResponse:
    return to_sign_in(request, SIGN_IN)


def refusal_page(request: Request, signed: Signed, answer: httpx.Response) -> Response | None:
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


def local_path(target: str) -> str:
    """Only a path of this site: never an open redirect to another."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


async def names_of_people(request: Request, signed: Signed) -> dict[str, str]:
    """The ISP's people by the reference the APIs record them with (`user:<id>`), to show
    their names instead; empty when the role may not list people."""
    people = await api(request, "GET", "/api/v1/users", signed)
    if people.status_code != 200:
        return {}
    return {f"user:{p['id']}": p["name"] for p in people.json()["users"]}


async def lowest_tiers(request: Request) -> dict[str, str]:
    """Each plugin with the lowest tier that has it, from licensing's public catalogue, for
    pages that name the way up to what the ISP's tier lacks."""
    answer = await api(request, "GET", "/api/v1/tiers", platform=True)
    if answer.status_code != 200:
        return {}
    lowest: dict[str, str] = {}
    for tier in answer.json()["tiers"]:  # cheapest first
        for plugin in tier["plugins"]:
            lowest.setdefault(plugin, tier["name"])
    return lowest


def segment(value: str) -> str:
    """A value (an id from the URL) as one segment of an API path."""
    return quote(value, safe="")


def back(target: str, message: str, *, refused: bool = False) -> RedirectResponse:
    """Back to a page with what happened: `general` (an alert) when it was refused, else
    `message` (a notice)."""
    separator = "&" if "?" in target else "?"
    query = urlencode({"general" if refused else "message": message[:300]})
    return RedirectResponse(f"{target}{separator}{query}", status_code=303)


def refusal_text(answer: httpx.Response) -> str:
    """A refusal in one sentence: the problem's detail, or its fields' messages."""
    errors, general = field_errors(answer.json())
    return general or "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in errors.items())


def once(form: Any) -> dict[str, str]:
    """The form's attempt id as the request's Idempotency-Key: a form sent twice (a double
    click, a reload) is acted on once."""
    attempt = str(form.get("attempt", "")).strip()[:200]
    return {"Idempotency-Key": attempt} if attempt else {}


async def isp_id_of(request: Request, signed: Signed) -> str:
    """The signed-in person's ISP, for the platform's APIs that name it in their paths."""
    me = await api(request, "GET", "/api/v1/auth/me", signed)
    if me.status_code != 200:  # the session's sign-in ended at tenant-api
        raise SignInFirst(SIGN_IN)
    return str(me.json()["tenant_id"])
