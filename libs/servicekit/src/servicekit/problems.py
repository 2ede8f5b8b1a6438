"""RFC 9457 problem documents: the one shape of every HTTP error a DotMac service returns.

Services raise `Problem` subclasses; `install_problem_handlers` renders them, and turns
FastAPI's validation errors into 422 (per-field `errors`) or 400 (malformed JSON).
"""

import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://docs.dotmac.example/problems/"


class Problem(Exception):
    status: int = 500
    title: str = "Internal error"
    slug: str = "internal-error"

    def __init__(self, detail: str, /, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions

    def headers(self) -> dict[str, str] | None:
        """Response headers the problem needs (e.g. `Retry-After`)."""
        return None

    def response(self, instance: str | None = None) -> JSONResponse:
        return problem_response(
            self.status,
            self.title,
            self.detail,
            slug=self.slug,
            instance=instance,
            headers=self.headers(),
            extensions=self.extensions,
        )


class BadRequest(Problem):
    status, title, slug = 400, "Bad request", "bad-request"


class NotFound(Problem):
    status, title, slug = 404, "Not found", "not-found"


class NotAcceptable(Problem):
    """The route answers only in a form the request's Accept header does not take (an event
    stream, say)."""

    status, title, slug = 406, "Not acceptable", "not-acceptable"


class Conflict(Problem):
    status, title, slug = 409, "Conflict", "conflict"


class TransitionRefused(Problem):
    """A lifecycle change its current state does not allow (a cancelled customer's, say)."""

    status, title, slug = 409, "Status change refused", "status-change-refused"


class Unauthorized(Problem):
    status, title, slug = 401, "Unauthorized", "unauthorized"


class Forbidden(Problem):
    status, title, slug = 403, "Forbidden", "forbidden"


class UnprocessableContent(Problem):
    status, title, slug = 422, "Unprocessable content", "validation-error"


class TooManyRequests(Problem):
    """429 with `Retry-After`: whole seconds until the request would be accepted."""

    status, title, slug = 429, "Too many requests", "rate-limited"

    def __init__(self, detail: str, *, retry_after_s: int, **extensions: Any) -> None:
        super().__init__(detail, retry_after_s=retry_after_s, **extensions)
        self.retry_after_s = retry_after_s

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}


STANDARD_MEMBERS = frozenset({"type", "title", "status", "detail", "instance"})
"""RFC 9457's own members: an extension may not take their names."""


def problem_response(
    status: int,
    title: str,
    detail: str,
    /,
    *,
    slug: str | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """The problem document. An extension named like a standard member (a `status=` meant as
    a record's status, say) is a mistake of the code raising it: it is left out and logged,
    and the answer stays the problem it is rather than becoming a 500."""
    clashing = STANDARD_MEMBERS.intersection(extensions or ())
    if clashing:
        log.error("problem %r: extensions %s clash with standard members", title, sorted(clashing))
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    extra = {key: value for key, value in (extensions or {}).items() if key not in clashing}
    body.update(jsonable_encoder(extra))
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ())]
        where = location[0] if location else "body"
        field = ".".join(location[1:]) if len(location) > 1 else ""
        errors.append(
            {
                "location": where,
                "field": field,
                "message": error.get("msg", ""),
                "type": error.get("type", ""),
            }
        )
    return errors


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return exc.response(instance=request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            return problem_response(
                400,
                "Malformed JSON",
                "The request body is not valid JSON.",
                slug="malformed-json",
                instance=request.url.path,
            )
        return problem_response(
            422,
            "Unprocessable content",
            "The request has invalid or missing fields.",
            slug="validation-error",
            instance=request.url.path,
            extensions={"errors": _field_errors(exc)},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = HTTPStatus(exc.status_code).phrase
        detail = exc.detail if isinstance(exc.detail, str) else title
        return problem_response(
            exc.status_code,
            title,
            detail,
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            500,
            "Internal error",
            "Something went wrong on our side; it has been logged.",
            slug="internal-error",
            instance=request.url.path,
        )


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Upload:
    """A route that takes a file rather than JSON: its media types and size limit."""

    media_types: frozenset[str]
    max_bytes: int


class JsonBodyGuard:
    """ASGI middleware: bodies of writes must be JSON (else 415) and small (else 413); the
    routes in `uploads` (by path pattern) take their own media types, up to their own size.

    Runs before routing, so a refused body never reaches a handler or the database.
    """

    def __init__(
        self,
        app: Callable[..., Awaitable[None]],
        max_bytes: int = 64 * 1024,
        uploads: Mapping[str, Upload] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.uploads = [
            (re.compile(pattern), upload) for pattern, upload in (uploads or {}).items()
        ]

    def _accepts(self, path: str) -> tuple[frozenset[str], int]:
        for pattern, upload in self.uploads:
            if pattern.fullmatch(path):
                return upload.media_types, upload.max_bytes
        return frozenset({"application/json"}), self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        media_types, max_bytes = self._accepts(scope.get("path", ""))
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > max_bytes):
            await self._refuse(
                scope,
                send,
                413,
                "Content too large",
                f"Request bodies here are limited to {max_bytes} bytes.",
            )
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > max_bytes:
                await self._refuse(
                    scope,
                    send,
                    413,
                    "Content too large",
                    f"Request bodies here are limited to {max_bytes} bytes.",
                )
                return
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        is_json = media_type == "application/json" or media_type.endswith("+json")
        if (
            body
            and media_type not in media_types
            and not (is_json and "application/json" in media_types)
        ):
            await self._refuse(
                scope,
                send,
                415,
                "Unsupported media type",
                f"Send the request body as {' or '.join(sorted(media_types))}.",
            )
            return
        sent = False

        async def replay() -> MutableMapping[str, Any]:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, status: int, title: str, detail: str) -> None:
        payload = json.dumps(
            {
                "type": "about:blank",
                "title": title,
                "status": status,
                "detail": detail,
                "instance": scope.get("path", ""),
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
