"""The dev default: the ISP is a tenant of the shared tenant-api, reached through the gateway at
`<slug>.<base domain>`. Nothing is created per ISP outside the tenant itself: the gateway sends
every such host to tenant-api, which knows each ISP by its host."""

import time
from urllib.parse import urlsplit

import httpx

from provisioning.clients import resend
from provisioning.clients.tenant_api import TenantApi
from provisioning.errors import ConfigurationError
from provisioning.onboarding.messages import Onboarding
from provisioning.providers.base import InstanceInfo
from servicekit.problems import TYPE_BASE

UNKNOWN_ISP_HOST = TYPE_BASE + "unknown-isp-host"
"""The problem type tenant-api answers with for a host that is no ISP's (yet)."""


class InstanceNotHealthy(Exception):
    """Transient: the gateway or the tenant may need a moment; the step is retried."""


class LocalProvider:
    name = "local"

    def __init__(
        self,
        *,
        tenants: TenantApi,
        http: httpx.AsyncClient,
        gateway_url: str,
        tenant_api_url: str,
        base_domain: str,
    ) -> None:
        self._tenants = tenants
        self._http = http
        self._gateway = urlsplit(gateway_url)
        self._tenant_api = urlsplit(tenant_api_url).netloc
        self._base_domain = base_domain

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

    async def _health_through_gateway(self, host: str) -> httpx.Response:
        return await resend.request(
            self._http,
            "GET",
            f"{self._gateway.scheme}://{self._gateway.netloc}/api/v1/tenant/health",
            headers={"Host": host},
        )

    async def configure(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        """DNS and TLS of `<slug>.<base domain>` are the gateway's, for every ISP at once (a
        wildcard record, route and, where it serves HTTPS, certificate): nothing to create
        per ISP. The step checks that the gateway does send this host to the ISP framework,
        which answers that it knows no ISP there yet; a gateway that answers itself is set up
        for another domain, which no retry mends."""
        response = await self._health_through_gateway(instance.host)
        framework_answered = response.status_code == 200 or (
            response.status_code == 404
            and response.headers.get("content-type", "").startswith("application/problem+json")
            and response.json().get("type") == UNKNOWN_ISP_HOST
        )
        if framework_answered:
            return f"Gateway routes {instance.host} to the ISP framework"
        if response.status_code == 404:
            raise ConfigurationError(
                f"the gateway does not route {instance.host} to the ISP framework: its "
                f"configuration lacks the route of *.{self._base_domain}"
            )
        raise InstanceNotHealthy(
            f"{instance.host} answered {response.status_code} through the gateway"
        )

    async def validate(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        started = time.perf_counter()
        response = await self._health_through_gateway(instance.host)
        if response.status_code != 200 or response.json().get("tenant_id") != onboarding.isp_id:
            raise InstanceNotHealthy(
                f"{instance.host} answered {response.status_code} through the gateway"
            )
        elapsed_ms = (time.perf_counter() - started) * 1000
        return (
            f"{instance.host} answered its health check through the gateway in {elapsed_ms:.0f} ms"
        )

    async def unconfigure(self, onboarding: Onboarding) -> None:
        """Nothing to remove: the host stops answering when its tenant is deleted or moves."""

    async def deprovision(self, onboarding: Onboarding) -> None:
        return None
