"""The ISP framework's internal API: where an ISP's tenant is created, activated and dropped."""

import asyncio
from typing import Any
from uuid import UUID

import httpx

from provisioning.errors import ConfigurationError

DEMO_DATA_TIMEOUT = httpx.Timeout(90.0, connect=10.0)
"""A scenario's data is written in one request: the medium one bills twelve months through the
real bill runs (seconds, more on a busy machine), far over the client's usual timeout. A retry
after a timeout would find it loaded (409) and count it done, so waiting is the honest answer."""


class LicenceNotYetGranted(Exception):
    """Transient: licensing grants a new tenant its licence moments after it opens."""


class TenantApi:
    def __init__(self, base_url: str, token: str, http: httpx.AsyncClient) -> None:
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._http = http
        self._health_check: asyncio.Future[None] | None = None

    def _check(self, response: httpx.Response, what: str) -> None:
        if response.status_code >= 500:
            response.raise_for_status()  # transient: retried
        if response.status_code >= 400:
            raise ConfigurationError(f"tenant-api refused to {what}: {response.text}")

    async def put_tenant(
        self,
        tenant_id: UUID,
        *,
        slug: str,
        name: str,
        tier: str,
        host: str,
        owner_name: str,
        owner_email: str,
        demo: bool = False,
    ) -> None:
        response = await self._http.put(
            f"{self._base}/internal/v1/tenants/{tenant_id}",
            json={
                "slug": slug,
                "name": name,
                "tier": tier,
                "host": host,
                "owner": {"name": owner_name or owner_email, "email": owner_email},
                "demo": demo,
            },
            headers=self._headers,
        )
        self._check(response, f"create tenant {slug}")

    async def activate(self, tenant_id: UUID) -> None:
        response = await self._http.post(
            f"{self._base}/internal/v1/tenants/{tenant_id}/activate", headers=self._headers
        )
        self._check(response, f"activate tenant {tenant_id}")

    async def load_demo_data(self, tenant_id: UUID, scenario: str) -> None:
        """Sample data for a demo tenant. Its licence (which sets how many customers it may
        have) follows its activation by a moment: until it arrives, this is retried; data
        loaded by an earlier attempt counts as done."""
        response = await self._http.post(
            f"{self._base}/internal/v1/tenants/{tenant_id}/demo-data",
            json={"scenario": scenario},
            headers=self._headers,
            timeout=DEMO_DATA_TIMEOUT,
        )
        if response.status_code == 409:
            return  # loaded already
        if response.status_code == 403:
            raise LicenceNotYetGranted(f"tenant {tenant_id} has no licence yet: {response.text}")
        self._check(response, f"load the {scenario} sample data into {tenant_id}")

    async def export(self, tenant_id: UUID) -> dict[str, Any]:
        """An archive of all the tenant's data: its id, size, sha256 and download path."""
        response = await self._http.post(
            f"{self._base}/internal/v1/tenants/{tenant_id}/exports", headers=self._headers
        )
        self._check(response, f"export the data of {tenant_id}")
        return dict(response.json())

    async def delete(self, tenant_id: UUID) -> None:
        response = await self._http.delete(
            f"{self._base}/internal/v1/tenants/{tenant_id}", headers=self._headers
        )
        if response.status_code != 404:
            self._check(response, f"delete tenant {tenant_id}")

    async def health(self) -> None:
        """Raise unless the framework answers its health check. Callers that ask while a check
        is under way share its answer instead of sending their own: a burst of onboardings
        asks once, not once each."""
        if self._health_check is None or self._health_check.done():
            self._health_check = asyncio.ensure_future(self._check_health())
        await asyncio.shield(self._health_check)

    async def _check_health(self) -> None:
        (await self._http.get(f"{self._base}/healthz")).raise_for_status()
