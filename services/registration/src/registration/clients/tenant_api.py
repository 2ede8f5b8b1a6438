"""The ISP framework's API, as registration asks it who a sign-in belongs to."""

from dataclasses import dataclass
from uuid import UUID

import httpx


@dataclass(frozen=True)
class SignedIn:
    tenant_id: str | None
    role: str | None


class TenantApi:
    def __init__(self, base_url: str, *, timeout_s: float = 10.0) -> None:
        self._base = base_url.rstrip("/")
        self._timeout_s = timeout_s

    async def who(self, access_token: str, tenant_id: UUID) -> SignedIn | None:
        """Whose sign-in `access_token` is at the tenant, or None if it is no sign-in there.
        A failure of the ISP framework itself raises (the caller answers 5xx)."""
        async with httpx.AsyncClient(timeout=self._timeout_s) as http:
            answer = await http.get(
                f"{self._base}/api/v1/auth/me",
                headers={"Authorization": f"Bearer {access_token}", "X-Tenant-ID": str(tenant_id)},
            )
        if answer.status_code >= 500:
            answer.raise_for_status()
        if answer.status_code != 200:
            return None
        body = answer.json()
        return SignedIn(tenant_id=body.get("tenant_id"), role=body.get("role"))
