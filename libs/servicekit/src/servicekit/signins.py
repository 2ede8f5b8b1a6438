"""Whose sign-in an ISP's access token is, as the ISP framework (tenant-api) answers: the
control plane's routes for an ISP's owner (converting a demo, the ISP's billing) ask it rather
than share its signing secret, so a sign-out or a removed user counts at once."""

from dataclasses import dataclass
from uuid import UUID

import httpx

from servicekit.problems import Forbidden, TooManyRequests, Unauthorized


@dataclass(frozen=True)
class SignedIn:
    tenant_id: str | None
    role: str | None


@dataclass(frozen=True)
class Caller:
    """A person's sign-in or an API key of an ISP, with what it may do there."""

    tenant_id: str
    kind: str
    """`person` or `api_key`."""
    reference: str
    """`user:<id>` or `api_key:<id>`: who acted, as recorded."""
    permissions: frozenset[str]
    plugins: frozenset[str]
    """The ISP's licensed plugins."""


class SignIns:
    def __init__(
        self,
        tenant_api_url: str,
        *,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base = tenant_api_url.rstrip("/")
        self._timeout_s = timeout_s
        self._transport = transport

    async def who(self, access_token: str, tenant_id: UUID) -> SignedIn | None:
        """Whose sign-in `access_token` is at the tenant, or None if it is no sign-in there.
        A failure of the ISP framework itself raises (the caller answers 5xx)."""
        async with httpx.AsyncClient(timeout=self._timeout_s, transport=self._transport) as http:
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

    async def caller(self, authorization: str, tenant_id: UUID) -> Caller | None:
        """Who presents `authorization` (a sign-in's access token or an API key) at the
        tenant, with its permissions there; None if it is neither of that tenant. A failure of
        the ISP framework itself raises (the caller answers 5xx); so does its rate limit of API
        keys, as a 429 to pass on."""
        async with httpx.AsyncClient(timeout=self._timeout_s, transport=self._transport) as http:
            answer = await http.get(
                f"{self._base}/api/v1/auth/caller",
                headers={"Authorization": authorization, "X-Tenant-ID": str(tenant_id)},
            )
        if answer.status_code >= 500:
            answer.raise_for_status()
        if answer.status_code == 429:
            raise TooManyRequests(
                answer.json().get("detail", "Too many requests with this API key."),
                retry_after_s=int(answer.headers.get("Retry-After", "60")),
            )
        if answer.status_code != 200:
            return None
        body = answer.json()
        if body.get("tenant_id") != str(tenant_id):
            return None
        kind = body["kind"]
        ident = body["user_id"] if kind == "person" else body["api_key_id"]
        return Caller(
            tenant_id=body["tenant_id"],
            kind=kind,
            reference=f"{'user' if kind == 'person' else 'api_key'}:{ident}",
            permissions=frozenset(body.get("permissions", ())),
            plugins=frozenset(body.get("plugins", ())),
        )

    async def owner(self, access_token: str | None, isp_id: UUID, *, what: str) -> None:
        """Pass if `access_token` is the sign-in of `isp_id`'s owner; else 401 (no sign-in
        there) or 403 (another role), naming `what` the owner alone may do."""
        if access_token is None:
            raise Unauthorized(f"Sign in as the ISP's owner, and send that access token: {what}.")
        who = await self.who(access_token, isp_id)
        if who is None:
            raise Unauthorized("This is not a sign-in to this ISP: sign in to it again.")
        if who.tenant_id != str(isp_id) or who.role != "owner":
            raise Forbidden(f"Only the ISP's owner can {what}.")
