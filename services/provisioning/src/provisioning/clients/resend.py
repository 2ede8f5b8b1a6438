"""Requests through the gateway, resent when the connection drops.

A kept-alive connection the gateway closes (idle, or on a restart or a configuration change) as
a request goes out fails that request without its reaching anyone. Only requests that are safe
to repeat (reads) are sent through here.
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
