"""The gateway's tenant routes, changed at run time through Caddy's admin API.

The gateway's first route is a subroute with the id `tenant-routes`; each ISP's host gets one
route inside it, and requests no tenant route matches fall through to the platform's routes.

Caddy reloads its whole configuration on every change (~20 ms idle, far more under load) and
drops connections open at that moment, admin ones included. So route additions that arrive
while a change is in flight are coalesced into the next one, changes from this process go one at
a time, and a request dropped mid-reload is sent again (`resend`).
"""

import asyncio
from typing import Any

import httpx

from provisioning.clients import resend
from provisioning.errors import ConfigurationError

TENANT_ROUTES = "tenant-routes"


def host_route(route_id: str, host: str, upstream: str) -> dict[str, Any]:
    return {
        "@id": route_id,
        "match": [{"host": [host], "path": ["/api/*"]}],
        "handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": upstream}]}],
        "terminal": True,
    }


class CaddyRoutes:
    def __init__(self, admin_url: str, http: httpx.AsyncClient) -> None:
        self._admin = admin_url.rstrip("/")
        self._http = http
        self._tenant_routes = f"{self._admin}/id/{TENANT_ROUTES}/handle/0/routes"
        self._one_at_a_time = asyncio.Lock()
        self._pending: dict[str, tuple[dict[str, Any], asyncio.Future[bool]]] = {}
        self._flusher: asyncio.Task[None] | None = None

    async def route_exists(self, route_id: str) -> bool:
        response = await resend.request(self._http, "GET", f"{self._admin}/id/{route_id}")
        return response.status_code == 200

    async def ensure_host_route(self, route_id: str, host: str, upstream: str) -> bool:
        """Send the API paths of `host` to `upstream`. False if the route was there already.

        Not looked up first: Caddy refuses a second route with the same id, which sends the
        batch route by route through the look-up (`_add_alone`). Onboardings add new routes
        and a retry after a crash is rare, so the common case is one request, not two."""
        if route_id in self._pending:
            return await asyncio.shield(self._pending[route_id][1])
        route = host_route(route_id, host, upstream)
        added: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending[route_id] = (route, added)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await asyncio.shield(added)

    async def _flush(self) -> None:
        async with self._one_at_a_time:
            while self._pending:
                batch, self._pending = self._pending, {}
                try:
                    # The batch goes in as one change, without listing every tenant's route
                    # (that list grows with the platform). If one of them is there already (a
                    # retry, or another process added it), Caddy refuses the duplicate id and
                    # each route is checked and added alone.
                    response = await self._append([route for route, _ in batch.values()])
                    if response.status_code < 400:
                        outcomes = dict.fromkeys(batch, True)
                    else:
                        outcomes = {
                            rid: await self._add_alone(route) for rid, (route, _) in batch.items()
                        }
                    for rid, (_, added) in batch.items():
                        added.set_result(outcomes[rid])
                except Exception as error:  # every waiter learns why, and its step retries
                    for _, added in batch.values():
                        if not added.done():
                            added.set_exception(error)

    async def _append(self, routes: list[dict[str, Any]]) -> httpx.Response:
        response = await resend.request(
            self._http, "POST", f"{self._tenant_routes}/...", json=routes
        )
        if response.status_code == 404 or "unknown object ID" in response.text:
            raise ConfigurationError(
                f"the gateway has no '{TENANT_ROUTES}' route to add tenants to"
            )
        return response

    async def _add_alone(self, route: dict[str, Any]) -> bool:
        if await self.route_exists(route["@id"]):
            return False
        response = await self._append([route])
        if response.status_code >= 400:
            raise httpx.HTTPStatusError(
                f"the gateway refused the route {route['@id']}: {response.text}",
                request=response.request,
                response=response,
            )
        return True

    async def restore(self, routes: list[tuple[str, str, str]], chunk: int = 500) -> int:
        """Put back every (route id, host, upstream) the gateway lacks — Caddy keeps no
        configuration across restarts, so a restarted gateway knows no tenant. Returns how many
        were missing."""
        async with self._one_at_a_time:
            listed = await resend.request(self._http, "GET", self._tenant_routes)
            listed.raise_for_status()
            present = {route.get("@id") for route in listed.json() or []}
            missing = [host_route(*r) for r in routes if r[0] not in present]
            for start in range(0, len(missing), chunk):
                response = await self._append(missing[start : start + chunk])
                response.raise_for_status()
            return len(missing)

    async def remove_route(self, route_id: str) -> bool:
        async with self._one_at_a_time:
            response = await resend.request(self._http, "DELETE", f"{self._admin}/id/{route_id}")
            if response.status_code == 404 or "unknown object ID" in response.text:
                return False
            response.raise_for_status()
            return True
