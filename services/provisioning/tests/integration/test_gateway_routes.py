"""The gateway's routing on a real Caddy, and the local provider's checks through it.

The gateway's configuration does not change as ISPs come and go: every `<slug>.<base domain>`
sends its API to tenant-api, which knows each ISP by its host."""

import asyncio
import json
import uuid

import httpx
import pytest

from devstack.components import Caddy
from devstack.ports import free_ports
from provisioning.clients.tenant_api import TenantApi
from provisioning.errors import ConfigurationError
from provisioning.onboarding.messages import Onboarding
from provisioning.providers.local import UNKNOWN_ISP_HOST, LocalProvider

pytestmark = pytest.mark.integration

KNOWN_HOSTS = {"acme.localhost": "7b0c4d36-0c5e-4b4e-9d6a-2f1b51f2b0a1"}


@pytest.fixture
async def upstream():
    """A stand-in for tenant-api: answers the health of the ISPs it knows by host, the problem
    tenant-api gives for any other host, and names the host it was asked for."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        host = next(
            line.split(":", 1)[1].strip()
            for line in head.splitlines()
            if line.lower().startswith("host:")
        )
        if host in KNOWN_HOSTS:
            status, kind = b"200 OK", b"application/json"
            body = json.dumps({"tenant_id": KNOWN_HOSTS[host], "host": host})
        else:
            status, kind = b"404 Not Found", b"application/problem+json"
            body = json.dumps({"type": UNKNOWN_ISP_HOST, "status": 404, "host": host})
        writer.write(
            b"HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
            % (status, kind, len(body))
            + body.encode()
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    server.close()


@pytest.fixture
def gateway(tmp_path, upstream):
    caddy = Caddy(*free_ports(2), [("/api/v1/isp/*", "127.0.0.1:9")], tmp_path, tenant_api=upstream)
    caddy.start()
    caddy.wait_ready()
    yield caddy
    caddy.stop()


async def test_every_isp_host_sends_its_api_to_tenant_api_and_nothing_else_does(gateway):
    async with httpx.AsyncClient(timeout=10, base_url=gateway.url) as http:
        for host in ("acme.localhost", "not-yet-onboarded.localhost"):
            answer = await http.get("/api/v1/tenant/health", headers={"Host": host})
            assert answer.json()["host"] == host, "tenant-api was asked, for this host"
        # Not an ISP's host: the gateway's own problem, not tenant-api's.
        for host in ("acme.example", "a.acme.localhost", "localhost"):
            other = await http.get("/api/v1/tenant/health", headers={"Host": host})
            assert other.status_code == 404
            assert other.headers["content-type"] == "application/problem+json"
            assert other.json()["type"] == "about:blank", host
        # Only the API of an ISP's host goes there.
        outside = await http.get("/internal/v1/tenants", headers={"Host": "acme.localhost"})
        assert outside.status_code == 404 and outside.json()["type"] == "about:blank"
        # The platform's own paths, at the platform's host, keep their service.
        assert (await http.get("/api/v1/isp/x")).status_code == 502


async def test_api_clients_naming_their_isp_reach_tenant_api_through_the_platform_host(gateway):
    async with httpx.AsyncClient(timeout=10, base_url=gateway.url) as http:
        named = await http.get("/api/v1/customers", headers={"X-Tenant-ID": "x"})
        keyed = await http.get("/api/v1/customers", headers={"Authorization": "Bearer dmk_1"})
        assert named.status_code == keyed.status_code == 404  # the stand-in answered...
        assert named.json()["type"] == keyed.json()["type"] == UNKNOWN_ISP_HOST
        # ...and with neither header there is nobody to ask.
        nobody = await http.get("/api/v1/customers")
        assert nobody.status_code == 404 and nobody.json()["type"] == "about:blank"
        jwt_only = await http.get("/api/v1/customers", headers={"Authorization": "Bearer ey"})
        assert jwt_only.json()["type"] == "about:blank"
        platform = await http.get("/api/v1/isp/x", headers={"X-Tenant-ID": "x"})
        assert platform.status_code == 502, "still routed to the platform's service"


def onboarding(slug: str, isp_id: str | None = None) -> Onboarding:
    return Onboarding(
        isp_id=isp_id or str(uuid.uuid4()),
        deployment_id=str(uuid.uuid4()),
        slug=slug,
        company_name=slug.title(),
        tier="basic",
        region="us-east-1",
        provider="local",
        domain=f"{slug}.example",
        contact_email=f"owner@{slug}.example",
    )


def local_provider(gateway: Caddy, upstream: str, http: httpx.AsyncClient, base: str):
    return LocalProvider(
        tenants=TenantApi(f"http://{upstream}", "token", http),
        http=http,
        gateway_url=gateway.url,
        tenant_api_url=f"http://{upstream}",
        base_domain=base,
    )


async def test_the_configuring_step_checks_that_the_gateway_reaches_the_isp_framework(
    gateway, upstream
):
    async with httpx.AsyncClient(timeout=10) as http:
        local = local_provider(gateway, upstream, http, "localhost")
        fresh = onboarding("fresh")  # no tenant yet: tenant-api says it knows no ISP there
        instance = await local.provision(fresh)
        assert instance.host == "fresh.localhost"
        assert "routes fresh.localhost" in await local.configure(fresh, instance)

        acme = onboarding("acme", KNOWN_HOSTS["acme.localhost"])
        instance = await local.provision(acme)
        assert "routes acme.localhost" in await local.configure(acme, instance)
        assert "answered its health check" in await local.validate(acme, instance)

        # Placed under a domain the gateway does not serve: no retry mends that.
        elsewhere = local_provider(gateway, upstream, http, "isp.example")
        instance = await elsewhere.provision(fresh)
        with pytest.raises(ConfigurationError, match=r"lacks the route of \*\.isp\.example"):
            await elsewhere.configure(fresh, instance)
