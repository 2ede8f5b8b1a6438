"""The dev default: the ISP is a tenant of the shared tenant-api, reached through the gateway at
`<slug>.<base domain>`. Nothing is created but a gateway route."""

import asyncio
import time
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select

from provisioning.clients import resend
from provisioning.clients.caddy import CaddyRoutes
from provisioning.clients.tenant_api import TenantApi
from provisioning.models import Deployment, Instance
from provisioning.onboarding.messages import Onboarding
from provisioning.providers.base import InstanceInfo
from servicekit.db import Database

ROUTE_SETTLE_TRIES, ROUTE_SETTLE_S = 10, 0.05


class InstanceNotHealthy(Exception):
    """Transient: the route or the tenant may need a moment; the step is retried."""


class LocalProvider:
    name = "local"

    def __init__(
        self,
        *,
        caddy: CaddyRoutes,
        tenants: TenantApi,
        http: httpx.AsyncClient,
        gateway_url: str,
        tenant_api_url: str,
        base_domain: str,
    ) -> None:
        self._caddy = caddy
        self._tenants = tenants
        self._http = http
        self._gateway = urlsplit(gateway_url)
        self._tenant_api = urlsplit(tenant_api_url).netloc
        self._base_domain = base_domain

    @staticmethod
    def route_id(onboarding: Onboarding) -> str:
        return f"tenant-{onboarding.slug}"

    async def restore_routes(self, db: Database) -> int:
        """Give the gateway back the route of every instance this provider holds (Caddy forgets
        them when it restarts). Returns how many it lacked."""
        async with db.unit_of_work() as session:
            rows = await session.execute(
                select(Deployment.slug, Instance.host)
                .join(Deployment, Deployment.id == Instance.deployment_id)
                .where(Instance.provider == self.name)
            )
            routes = [(f"tenant-{slug}", host, self._tenant_api) for slug, host in rows]
        return await self._caddy.restore(routes)

    async def provision(self, onboarding: Onboarding) -> InstanceInfo:
        host = f"{onboarding.slug}.{self._base_domain}"
        port = f":{self._gateway.port}" if self._gateway.port else ""
        return InstanceInfo(
            host=host,
            url=f"{self._gateway.scheme}://{host}{port}",
            detail=f"Instance {host} placed on the shared ISP framework",
        )

    async def deploy(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        await self._tenants.health()
        return f"ISP framework is up at {self._tenant_api}"

    async def configure(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        created = await self._caddy.ensure_host_route(
            self.route_id(onboarding), instance.host, self._tenant_api
        )
        verb = "now routes" if created else "already routed"
        return f"Gateway {verb} {instance.host} to the ISP framework"

    async def validate(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        started = time.perf_counter()
        for _ in range(ROUTE_SETTLE_TRIES):
            response = await resend.request(
                self._http,
                "GET",
                f"{self._gateway.scheme}://{self._gateway.netloc}/api/v1/tenant/health",
                headers={"Host": instance.host},
            )
            if response.status_code != 404:
                break
            # Caddy accepted the route, but a connection its previous configuration took
            # while it reloaded knows no such host yet: ask again in a moment rather than fail
            # the step (its retry waits longer, and a burst of onboardings meets this often).
            await asyncio.sleep(ROUTE_SETTLE_S)
        if response.status_code != 200 or response.json().get("tenant_id") != onboarding.isp_id:
            raise InstanceNotHealthy(
                f"{instance.host} answered {response.status_code} through the gateway"
            )
        elapsed_ms = (time.perf_counter() - started) * 1000
        return (
            f"{instance.host} answered its health check through the gateway in {elapsed_ms:.0f} ms"
        )

    async def unconfigure(self, onboarding: Onboarding) -> None:
        await self._caddy.remove_route(self.route_id(onboarding))

    async def deprovision(self, onboarding: Onboarding) -> None:
        return None
