"""Pages: Jinja2 templates rendered with what every page needs (the form token, who is signed
in, which site this is), and the platform's problem documents turned into messages next to the
fields they are about."""

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from dotmac_contracts.money import to_major_units
from webapp.bootstrap import WebApp
from webapp.sessions import CSRF_COOKIE, CSRF_FIELD

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def money(minor: int | None, currency: str | None) -> str:
    """An amount in minor units as people read it: "12,345.67 USD", "1,200 JPY"."""
    if minor is None:
        return "—"
    code = (currency or "").upper()
    return f"{to_major_units(minor, code)} {code}".strip()


templates.env.filters["money"] = money
# A fresh id in each form that must not be acted on twice (sent as its Idempotency-Key).
templates.env.globals["attempt_id"] = lambda: secrets.token_hex(16)


def webapp_of(request: Request) -> WebApp:
    return request.state.webapp  # type: ignore[no-any-return]


def isp_slug(request: Request) -> str | None:
    """The ISP whose host this is (`<slug>.<tenant base domain>`), or None on the platform's
    own host."""
    host = request.headers.get("host", "").lower().rsplit(":", 1)[0]
    base = webapp_of(request).settings.platform.tenant_base_domain.lower()
    if host.endswith(f".{base}"):
        slug = host[: -len(base) - 1]
        if slug and "." not in slug:
            return slug
    return None


def page(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    webapp = webapp_of(request)
    token = request.cookies.get(CSRF_COOKIE)
    fresh = not token or len(token) > 100
    if fresh:
        token = secrets.token_urlsafe(32)
    response = templates.TemplateResponse(
        request,
        template,
        {
            "csrf_field": CSRF_FIELD,
            "csrf_token": token,
            "slug": isp_slug(request),
            **(context or {}),
        },
        status_code=status,
    )
    if fresh:
        response.set_cookie(
            CSRF_COOKIE,
            token,  # type: ignore[arg-type]
            max_age=60 * 60 * 24,
            httponly=True,
            samesite="strict",
            secure=webapp.settings.secure_cookies,
            path="/",
        )
    response.headers["Cache-Control"] = "no-store"
    return response


def field_errors(problem: dict[str, Any]) -> tuple[dict[str, str], str | None]:
    """A problem document as messages per form field (`company.name`...) and one for the
    form as a whole (the problem's detail, when no field is named)."""
    per_field: dict[str, str] = {}
    for error in problem.get("errors") or ():
        field = str(error.get("field") or "")
        if field and field not in per_field:
            per_field[field] = _in_words(error)
    general = None if per_field else str(problem.get("detail") or problem.get("title") or "")
    return per_field, general or None


PLAIN = {
    "missing": "Fill this in.",
    "int_parsing": "Enter a whole number, such as 250.",
    "int_type": "Enter a whole number, such as 250.",
    "literal_error": "Choose one of the options.",
    "enum": "Choose one of the options.",
    "greater_than_equal": "This number is too small.",
    "less_than_equal": "This number is too large.",
}


def _in_words(error: dict[str, Any]) -> str:
    """An API's validation error as a person reads it: pydantic's wording for the common
    cases, the API's own sentence where it wrote one."""
    kind = str(error.get("type") or "")
    message = str(error.get("message") or "This is not valid.")
    if kind == "string_too_short" and "at least 1 character" in message:
        return "Fill this in."
    if "valid email address" in message:
        return "Enter an email address, such as name@example.com."
    if kind in PLAIN:
        return PLAIN[kind]
    message = message.removeprefix("Value error, ")
    return message[:1].upper() + message[1:]


class SignInFirst(Exception):
    """The page needs someone signed in: the app answers with the sign-in page `sign_in`,
    which sends them back here afterwards."""

    def __init__(self, sign_in: str) -> None:
        super().__init__(sign_in)
        self.sign_in = sign_in


def to_sign_in(request: Request, sign_in: str) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{sign_in}?{urlencode({'next': target})}", status_code=303)


def problem_detail(answer: httpx.Response) -> str:
    """What a platform API's refusal says, for a page to show."""
    try:
        body = answer.json()
    except ValueError:
        return f"The platform answered {answer.status_code}."
    return str(body.get("detail") or body.get("title") or answer.status_code)
