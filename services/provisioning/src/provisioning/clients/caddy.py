"""The gateway's routes, changed at run time through Caddy's admin API."""

import httpx

from provisioning.errors import ConfigurationError


class CaddyRoutes:
    def __init__(self, admin_url: str, http: httpx.AsyncClient, server: str = "gateway") -> None:
        self._admin = admin_url.rstrip("/")
        self._http = http
        self._routes = f"{self._admin}/config/apps/http/servers/{server}/routes"

    async def route_exists(self, route_id: str) -> bool:
        response = await self._http.get(f"{self._admin}/id/{route_id}")
        return response.status_code == 200

    async def ensure_host_route(self, route_id: str, host: str, upstream: str) -> bool:
        """Send the API paths of `host` to `upstream`. Returns False if the route already existed.

        Host routes go first so they win over the gateway's path routes.
        """
        if await self.route_exists(route_id):
            return False
        route = {
            "@id": route_id,
            "match": [{"host": [host], "path": ["/api/*"]}],
            "handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": upstream}]}],
            "terminal": True,
        }
        response = await self._http.put(f"{self._routes}/0", json=route)
        if response.status_code >= 400:
            if await self.route_exists(route_id):  # a concurrent attempt won the race
                return False
            if response.status_code < 500:
                raise ConfigurationError(
                    f"the gateway refused the route for {host}: {response.text}"
                )
            response.raise_for_status()
        return True

    async def remove_route(self, route_id: str) -> bool:
        response = await self._http.delete(f"{self._admin}/id/{route_id}")
        if response.status_code == 404 or "unknown object ID" in response.text:
            return False
        response.raise_for_status()
        return True
