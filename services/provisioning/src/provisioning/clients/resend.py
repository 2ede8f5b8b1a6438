"""Requests to the gateway (Caddy) resent when the connection drops.

Caddy reloads its whole configuration, listeners and admin endpoint included, whenever a route
changes, and a request arriving at that instant can lose its connection. Every request sent
through here is safe to repeat (a read, or a change Caddy refuses to make twice: a route
whose id it holds already).
"""

import asyncio
from typing import Any

import httpx


async def request(
    http: httpx.AsyncClient, method: str, url: str, *, attempts: int = 5, **kwargs: Any
) -> httpx.Response:
    for attempt in range(attempts):
        try:
            return await http.request(method, url, **kwargs)
        except httpx.TransportError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")
