"""Sign-ins and forms: server-side sessions behind an http-only, same-site cookie, and a CSRF
token on every form.

The session cookie holds 32 random bytes; the table holds their hash with the API tokens, so a
stolen database row cannot be replayed as a cookie and the browser never sees a token. A
session belongs to the host it was made on (an ISP's host, or the platform's), so one ISP's
sign-in is worth nothing on another's host.

CSRF: every form carries the token of a second cookie (the double-submit pattern), checked on
every POST; with SameSite=Strict cookies on top, a form posted from another site is refused
twice over.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request, Response
from sqlalchemy import delete, insert, select

from servicekit.problems import Forbidden
from webapp.bootstrap import WebApp
from webapp.models import WebSession

COOKIE = "dotmac_session"
CSRF_COOKIE = "dotmac_csrf"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class Signed:
    """Who is signed in on this request's host."""

    kind: str
    person: str
    access_token: str

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def host_of(request: Request) -> str:
    return request.headers.get("host", "").lower()


def _cookie(response: Response, webapp: WebApp, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=webapp.settings.secure_cookies,
        path="/",
    )


async def start(
    webapp: WebApp,
    request: Request,
    response: Response,
    *,
    kind: str,
    person: str,
    access_token: str,
    refresh_token: str | None = None,
) -> None:
    value = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    lasts = timedelta(hours=webapp.settings.session_hours)
    async with webapp.runtime.db.unit_of_work() as session:
        await session.execute(
            insert(WebSession).values(
                id_hash=_hash(value),
                kind=kind,
                host=host_of(request),
                person=person,
                access_token=access_token,
                refresh_token=refresh_token,
                created_at=now,
                expires_at=now + lasts,
            )
        )
        # whoever had signed in on this browser before is signed out
        if old := request.cookies.get(COOKIE):
            await session.execute(delete(WebSession).where(WebSession.id_hash == _hash(old)))
    _cookie(response, webapp, COOKIE, value, int(lasts.total_seconds()))


async def current(webapp: WebApp, request: Request, kind: str) -> Signed | None:
    value = request.cookies.get(COOKIE)
    if not value or len(value) > 100:
        return None
    async with webapp.runtime.db.reading() as connection:
        row = (
            await connection.execute(
                select(WebSession.__table__).where(WebSession.id_hash == _hash(value))
            )
        ).first()
    if (
        row is None
        or row.kind != kind
        or row.host != host_of(request)
        or row.expires_at <= datetime.now(UTC)
    ):
        return None
    return Signed(row.kind, row.person, row.access_token)


async def end(webapp: WebApp, request: Request, response: Response) -> str | None:
    """Sign out: the session row goes, the cookie too. Answers the refresh token, if any, so
    the caller can revoke it at the API."""
    refresh = None
    if value := request.cookies.get(COOKIE):
        async with webapp.runtime.db.unit_of_work() as session:
            gone = (
                await session.execute(
                    delete(WebSession)
                    .where(WebSession.id_hash == _hash(value))
                    .returning(WebSession.refresh_token)
                )
            ).first()
            refresh = gone.refresh_token if gone else None
    response.delete_cookie(COOKIE, path="/")
    return refresh


def csrf_token(request: Request, response: Response, webapp: WebApp) -> str:
    """The token this browser's forms carry (a new one is set if it has none)."""
    token = request.cookies.get(CSRF_COOKIE)
    if not token or len(token) > 100:
        token = secrets.token_urlsafe(32)
        _cookie(response, webapp, CSRF_COOKIE, token, 60 * 60 * 24)
    return token


def check_csrf(request: Request, form: dict[str, Any]) -> None:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = str(form.get(CSRF_FIELD, ""))
    if not cookie or not sent or not hmac.compare_digest(cookie, sent):
        raise Forbidden(
            "This form has expired or did not come from this site: reload the page and try again."
        )
