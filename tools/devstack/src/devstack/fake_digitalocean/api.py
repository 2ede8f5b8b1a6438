"""The fake's HTTP side: DigitalOcean's routes, pages, errors and bearer tokens."""

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from devstack.fake_digitalocean.account import (
    ACCOUNT,
    ANNOUNCED,
    ApiError,
    DigitalOcean,
    invalid,
    not_found,
)


def problem(error: ApiError) -> JSONResponse:
    body = {"id": error.id, "message": error.message, "request_id": str(uuid.uuid4())}
    return JSONResponse(body, status_code=error.status)


def page(request: Request, key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """One page of a list, in DigitalOcean's shape: `links.pages` to the others, `meta.total`."""
    try:
        number = max(int(request.query_params.get("page", 1)), 1)
        size = min(max(int(request.query_params.get("per_page", 20)), 1), 200)
    except ValueError:
        raise invalid("page and per_page must be whole numbers") from None
    last = max(1, -(-len(items) // size))

    def link(n: int) -> str:
        return str(request.url.include_query_params(page=n, per_page=size))

    pages: dict[str, str] = {}
    if number > 1:
        pages.update(first=link(1), prev=link(min(number - 1, last)))
    if number < last:
        pages.update(next=link(number + 1), last=link(last))
    chunk = items[(number - 1) * size : number * size]
    return {key: chunk, "links": {"pages": pages} if pages else {}, "meta": {"total": len(items)}}


async def body_of(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "The request body must be a JSON object.")
    return body


def found(resource: dict[str, Any] | None) -> dict[str, Any]:
    if resource is None:
        raise not_found()
    return resource


Answer = tuple[dict[str, Any], int] | None  # a document and its status, or None: 204
Handler = Callable[[Request], Awaitable[Answer]]


def api(do: DigitalOcean) -> Starlette:
    handlers: list[tuple[str, str, Handler]] = []

    def handles(method: str, path: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            handlers.append((method, path, handler))
            return handler

        return register

    @handles("GET", "/v2/account")
    async def account(r: Request) -> Answer:
        return {"account": ACCOUNT}, 200

    @handles("GET", "/v2/droplets")
    async def list_droplets(r: Request) -> Answer:
        tag = r.query_params.get("tag_name")
        droplets = [d for d in do.droplets.values() if tag is None or tag in d["tags"]]
        return page(r, "droplets", [do.look_at(d) for d in droplets]), 200

    @handles("POST", "/v2/droplets")
    async def create_droplet(r: Request) -> Answer:
        droplet = do.create_droplet(await body_of(r))
        action = {"id": next(do.ids), "rel": "create", "href": f"{r.base_url}v2/actions/0"}
        return {"droplet": droplet, "links": {"actions": [action]}}, 202

    @handles("GET", "/v2/droplets/{id:int}")
    async def get_droplet(r: Request) -> Answer:
        return {"droplet": do.look_at(found(do.droplets.get(r.path_params["id"])))}, 200

    @handles("DELETE", "/v2/droplets/{id:int}")
    async def delete_droplet(r: Request) -> Answer:
        do.delete_droplet(r.path_params["id"])
        return None

    @handles("GET", "/v2/volumes")
    async def list_volumes(r: Request) -> Answer:
        name, region = r.query_params.get("name"), r.query_params.get("region")
        volumes = [
            v
            for v in do.volumes.values()
            if name in (None, v["name"]) and region in (None, v["region"]["slug"])
        ]
        return page(r, "volumes", volumes), 200

    @handles("POST", "/v2/volumes")
    async def create_volume(r: Request) -> Answer:
        return {"volume": do.create_volume(await body_of(r))}, 201

    @handles("GET", "/v2/volumes/{id}")
    async def get_volume(r: Request) -> Answer:
        return {"volume": found(do.volumes.get(r.path_params["id"]))}, 200

    @handles("DELETE", "/v2/volumes/{id}")
    async def delete_volume(r: Request) -> Answer:
        do.delete_volume(r.path_params["id"])
        return None

    @handles("POST", "/v2/volumes/{id}/actions")
    async def volume_action(r: Request) -> Answer:
        return {"action": do.volume_action(r.path_params["id"], await body_of(r))}, 202

    @handles("GET", "/v2/firewalls")
    async def list_firewalls(r: Request) -> Answer:
        return page(r, "firewalls", list(do.firewalls.values())), 200

    @handles("POST", "/v2/firewalls")
    async def create_firewall(r: Request) -> Answer:
        return {"firewall": do.create_firewall(await body_of(r))}, 202

    @handles("GET", "/v2/firewalls/{id}")
    async def get_firewall(r: Request) -> Answer:
        return {"firewall": found(do.firewalls.get(r.path_params["id"]))}, 200

    @handles("DELETE", "/v2/firewalls/{id}")
    async def delete_firewall(r: Request) -> Answer:
        found(do.firewalls.pop(r.path_params["id"], None))
        return None

    @handles("GET", "/v2/domains")
    async def list_domains(r: Request) -> Answer:
        return page(r, "domains", list(do.domains.values())), 200

    @handles("POST", "/v2/domains")
    async def create_domain(r: Request) -> Answer:
        return {"domain": do.create_domain(await body_of(r))}, 201

    @handles("GET", "/v2/domains/{name}")
    async def get_domain(r: Request) -> Answer:
        return {"domain": do.domain(r.path_params["name"])}, 200

    @handles("DELETE", "/v2/domains/{name}")
    async def delete_domain(r: Request) -> Answer:
        do.domain(r.path_params["name"])
        del do.domains[r.path_params["name"]], do.records[r.path_params["name"]]
        return None

    @handles("GET", "/v2/domains/{name}/records")
    async def list_records(r: Request) -> Answer:
        domain = r.path_params["name"]
        do.domain(domain)
        kind, name = r.query_params.get("type"), r.query_params.get("name")
        records = [
            record
            for record in do.records[domain].values()
            if kind in (None, record["type"])
            # DigitalOcean filters on the fully qualified name
            and name in (None, domain if record["name"] == "@" else f"{record['name']}.{domain}")
        ]
        return page(r, "domain_records", records), 200

    @handles("POST", "/v2/domains/{name}/records")
    async def create_record(r: Request) -> Answer:
        record = do.create_record(r.path_params["name"], await body_of(r))
        return {"domain_record": record}, 201

    @handles("DELETE", "/v2/domains/{name}/records/{id:int}")
    async def delete_record(r: Request) -> Answer:
        do.delete_record(r.path_params["name"], r.path_params["id"])
        return None

    def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def answer(request: Request) -> Response:
            try:
                answered = await handler(request)
            except ApiError as error:
                return problem(error)
            if answered is None:
                return Response(status_code=204)
            return JSONResponse(answered[0], status_code=answered[1])

        return answer

    async def unknown(request: Request, error: Exception) -> Response:
        return problem(not_found())

    return Starlette(
        routes=[Route(path, endpoint(h), methods=[method]) for method, path, h in handlers],
        exception_handlers={404: unknown, 405: unknown},
    )


class Gate:
    """In front of the API: trailing slashes (python-digitalocean asks for both `volumes` and
    `volumes/`), the bearer token, injected outages and a health check."""

    def __init__(self, api: ASGIApp, token: str | None) -> None:
        self.api = api
        self.token = token
        self.outage: tuple[int, int] | None = None  # (status, requests left)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.api(scope, receive, send)
        scope = {**scope, "path": scope["path"].rstrip("/") or "/"}
        request = Request(scope, receive)
        try:
            refused = await self.refused(request)
        except ApiError as error:
            refused = problem(error)
        if refused is None:
            return await self.api(scope, receive, send)
        await refused(scope, receive, send)

    async def refused(self, request: Request) -> Response | None:
        if request.url.path == "/healthz":
            return JSONResponse({"status": "ok"})
        if request.url.path == "/_fake/outage" and request.method == "POST":
            body = await body_of(request)
            self.outage = (int(body["status"]), int(body.get("count", 1)))
            return Response(status_code=204)
        if not request.url.path.startswith("/v2/"):
            raise not_found()
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or self.token not in (None, token):
            raise ApiError(401, *ANNOUNCED[401])
        if self.outage is None:
            return None
        status, left = self.outage
        self.outage = (status, left - 1) if left > 1 else None
        response = problem(ApiError(status, *ANNOUNCED.get(status, ("error", "failed"))))
        if status == 429:
            response.headers.update({"Ratelimit-Limit": "5000", "Ratelimit-Remaining": "0"})
        return response


def app(token: str | None = None) -> Gate:
    """A fresh, empty account's API; `token`: the only token accepted (default: any)."""
    return Gate(api(DigitalOcean()), token)
