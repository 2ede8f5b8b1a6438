"""Where deliveries may go. In production an endpoint must be https and no delivery may reach
a private, loopback, link-local or otherwise internal address, whatever its name resolves to
when the delivery is made (a name that resolved to a public address when the endpoint was
saved may not later point inside: the check is in the resolver the client connects with). In
development http is accepted for loopback receivers, which is where they run."""

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
MAX_URL = 2048


class RefusedTarget(ValueError):
    """The URL or the address it resolves to is not one deliveries may go to."""


def internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def _loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, production: bool) -> str:
    """The URL, if an endpoint may have it; else RefusedTarget saying why."""
    if len(url) > MAX_URL:
        raise RefusedTarget(f"at most {MAX_URL} characters")
    if any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        raise RefusedTarget("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as bad:
        raise RefusedTarget(f"is not a URL: {bad}") from None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise RefusedTarget("must be an absolute http(s) URL, such as https://example.com/hook")
    if parts.username or parts.password:
        raise RefusedTarget("must not carry a user name or password")
    if parts.fragment:
        raise RefusedTarget("must not have a #fragment")
    if port == 0:
        raise RefusedTarget("port 0 is not a port")
    if production:
        if parts.scheme != "https":
            raise RefusedTarget("must be https")
        if _loopback(host):
            raise RefusedTarget("must not point at this platform's own machines")
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            literal = None
        if literal is not None and internal(str(literal)):
            raise RefusedTarget("must not point at a private, loopback or link-local address")
    elif parts.scheme == "http" and not _loopback(host):
        raise RefusedTarget("must be https (http is accepted only for a loopback receiver)")
    return url


class PublicOnlyResolver(AbstractResolver):
    """aiohttp's resolver, refusing every internal address a name resolves to (production)."""

    def __init__(self) -> None:
        self._resolver = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await self._resolver.resolve(host, port, family)
        allowed = [answer for answer in answers if not internal(answer["host"])]
        if not allowed:
            raise RefusedTarget(f"{host} resolves only to internal addresses")
        return allowed

    async def close(self) -> None:
        await self._resolver.close()


def resolver(*, production: bool) -> Any:
    return PublicOnlyResolver() if production else DefaultResolver()
