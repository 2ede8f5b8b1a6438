"""Tenant routes on a real Caddy gateway, changed through its admin API."""

import asyncio

import httpx
import pytest

from devstack.components import Caddy
from devstack.ports import free_port
from provisioning.clients.caddy import CaddyRoutes

pytestmark = pytest.mark.integration


@pytest.fixture
def gateway(tmp_path):
    caddy = Caddy(free_port(), free_port(), [("/api/v1/isp/*", "127.0.0.1:9")], tmp_path)
    caddy.start()
    caddy.wait_ready()
    yield caddy
    caddy.stop()


@pytest.fixture
async def upstream():
    """A stand-in for tenant-api that says which host it was asked for."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        host = next(
            line.split(":", 1)[1].strip()
            for line in head.splitlines()
            if line.lower().startswith("host:")
        )
        body = host.encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
            % (len(body), body)
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    server.close()


async def test_concurrent_onboardings_each_get_their_route_once(gateway, upstream):
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=10, limits=limits) as http:
        routes = CaddyRoutes(gateway.admin_url, http)
        hosts = [f"isp{i}.localhost" for i in range(12)]
        created = await asyncio.gather(
            *(routes.ensure_host_route(f"tenant-isp{i}", h, upstream) for i, h in enumerate(hosts))
        )
        assert created == [True] * 12
        # Asking again changes nothing.
        assert await routes.ensure_host_route("tenant-isp0", hosts[0], upstream) is False
        listed = (await http.get(f"{gateway.admin_url}/id/tenant-routes/handle/0/routes")).json()
        assert sorted(r["@id"] for r in listed) == sorted(f"tenant-isp{i}" for i in range(12))

        for host in (hosts[0], hosts[11]):
            answer = await http.get(f"{gateway.url}/api/v1/tenant", headers={"Host": host})
            assert answer.status_code == 200 and answer.text == host
        # Other hosts and other paths fall through to the gateway's own routes.
        other = await http.get(f"{gateway.url}/api/v1/tenant", headers={"Host": "nobody.localhost"})
        assert other.status_code == 404
        assert other.headers["content-type"] == "application/problem+json"
        outside_api = await http.get(f"{gateway.url}/internal/v1/x", headers={"Host": hosts[0]})
        assert outside_api.status_code == 404

        assert await routes.remove_route("tenant-isp0") is True
        assert await routes.remove_route("tenant-isp0") is False
        gone = await http.get(f"{gateway.url}/api/v1/tenant", headers={"Host": hosts[0]})
        assert gone.status_code == 404


async def test_a_route_another_worker_added_meanwhile_is_not_added_twice(gateway, upstream):
    """Routes are not looked up before they are added: a batch that holds an id the gateway
    has already (another worker's, or a retried step's) is refused by Caddy as a whole, and
    every route in it is settled one by one."""
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=10, limits=limits) as http:
        other_worker = CaddyRoutes(gateway.admin_url, http)
        assert await other_worker.ensure_host_route("tenant-a", "a.localhost", upstream) is True

        late = CaddyRoutes(gateway.admin_url, http)
        created = await asyncio.gather(
            late.ensure_host_route("tenant-a", "a.localhost", upstream),
            late.ensure_host_route("tenant-b", "b.localhost", upstream),
        )
        assert created == [False, True]
        listed = (await http.get(f"{gateway.admin_url}/id/tenant-routes/handle/0/routes")).json()
        assert sorted(r["@id"] for r in listed) == ["tenant-a", "tenant-b"]
        answer = await http.get(f"{gateway.url}/api/v1/tenant", headers={"Host": "b.localhost"})
        assert answer.status_code == 200 and answer.text == "b.localhost"


async def test_api_clients_naming_their_isp_reach_tenant_api_through_the_platform_host(
    tmp_path, upstream
):
    caddy = Caddy(
        free_port(), free_port(), [("/api/v1/isp/*", "127.0.0.1:9")], tmp_path, tenant_api=upstream
    )
    caddy.start()
    try:
        caddy.wait_ready()
        async with httpx.AsyncClient(timeout=10, base_url=caddy.url) as http:
            named = await http.get("/api/v1/customers", headers={"X-Tenant-ID": "x"})
            keyed = await http.get("/api/v1/customers", headers={"Authorization": "Bearer dmk_1"})
            assert named.status_code == keyed.status_code == 200  # the stand-in answered
            # Neither header: nobody to ask. A platform path keeps its own service.
            assert (await http.get("/api/v1/customers")).status_code == 404
            jwt_only = await http.get("/api/v1/customers", headers={"Authorization": "Bearer ey"})
            assert jwt_only.status_code == 404
            platform = await http.get("/api/v1/isp/x", headers={"X-Tenant-ID": "x"})
            assert platform.status_code == 502, "still routed to the platform's service"
    finally:
        caddy.stop()


async def test_a_restarted_gateway_gets_back_every_tenant_route_once(gateway, upstream):
    limits = httpx.Limits(max_keepalive_connections=0)
    wanted = [(f"tenant-isp{i}", f"isp{i}.localhost", upstream) for i in range(7)]
    async with httpx.AsyncClient(timeout=10, limits=limits) as http:
        routes = CaddyRoutes(gateway.admin_url, http)
        assert await routes.ensure_host_route(*wanted[0]) is True
        gateway.stop()  # Caddy keeps no configuration: it starts with no tenant route
        gateway.start()
        gateway.wait_ready()
        assert await routes.restore(wanted, chunk=3) == 7
        assert await routes.restore(wanted) == 0, "a second restore adds nothing"
        listed = (await http.get(f"{gateway.admin_url}/id/tenant-routes/handle/0/routes")).json()
        assert sorted(r["@id"] for r in listed) == sorted(r[0] for r in wanted)
        answered = await http.get(
            f"http://127.0.0.1:{gateway.port}/api/v1/tenant", headers={"Host": "isp6.localhost"}
        )
        assert answered.text == "isp6.localhost"
