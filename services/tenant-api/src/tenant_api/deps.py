"""What tenant-api's endpoints depend on: the tenant a request is for, who makes it, and what
they may do.

The tenant is named by the host the request came to (`<slug>.<base domain>` through the
gateway), by an `X-Tenant-ID` header (API clients calling the platform's own host), or by the
credential itself (an access token's tenant claim, an API key's tenant). Whichever of these a
request carries must agree.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.vocabulary import Plugin
from servicekit.http import RuntimeDep, Unauthorized
from servicekit.logs import TENANT
from servicekit.problems import BadRequest, Forbidden, NotFound, TooManyRequests
from servicekit.sealing import Sealer
from tenant_api.composition import TenantApi
from tenant_api.identity.apikeys.keys import looks_like_key, read_key
from tenant_api.identity.apikeys.limiter import retry_after
from tenant_api.identity.auth.roles import PERMISSIONS, Permission
from tenant_api.identity.auth.tokens import AccessClaims, AccessTokens, BadToken
from tenant_api.identity.auth.welcome import Welcome
from tenant_api.messagebus import UnitOfWork
from tenant_api.models import Tenant
from tenant_api.tenancy.entitlements.store import EntitlementStore
from tenant_api.tenancy.tenants import service

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Malformed request, or the tenant named two ways that disagree"},
    401: {"description": "Not signed in"},
    403: {"description": "Not allowed, plugin missing, or licence suspended"},
    422: {"description": "The request's fields are invalid: see `errors`"},
    429: {"description": "The ISP's API rate is spent (API keys)"},
}
"""What any signed-in route of a plugin may answer besides success."""
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such thing at this ISP"}}


def composed(request: Request) -> TenantApi:
    """The service's composition root, from the app's lifespan state."""
    tenant_api: TenantApi = request.state.tenant_api
    return tenant_api


def access_tokens(request: Request) -> AccessTokens:
    return composed(request).access_tokens


# Async: FastAPI runs plain functions on a thread.
async def _composed(request: Request) -> TenantApi:
    return composed(request)


async def _entitlements(request: Request) -> EntitlementStore:
    return composed(request).entitlements


async def _sealer(request: Request) -> Sealer:
    return composed(request).sealer


async def _welcome(request: Request) -> Welcome:
    return composed(request).welcome


TenantApiDep = Annotated[TenantApi, Depends(_composed)]


async def _named_tenant(tenant_id: UUID, request: Request, runtime: RuntimeDep) -> Tenant:
    """The tenant a service-to-service route names in its path (`{tenant_id}`), from the
    tenant directory; 404 if there is none."""
    tenant = await composed(request).directory.get(runtime.db, tenant_id)
    if tenant is None:
        raise NotFound(f"No tenant {tenant_id}.")
    return tenant


NamedTenant = Annotated[Tenant, Depends(_named_tenant)]
"""For internal routes under `/internal/v1/tenants/{tenant_id}`: the tenant must exist."""
EntitlementsDep = Annotated[EntitlementStore, Depends(_entitlements)]
SealerDep = Annotated[Sealer, Depends(_sealer)]
WelcomeDep = Annotated[Welcome, Depends(_welcome)]
HostHeader = Annotated[str | None, Header(alias="Host", include_in_schema=False)]
TenantIdHeader = Annotated[
    str | None,
    Header(
        alias="X-Tenant-ID",
        description="The ISP's tenant id, for API clients that do not call its own host",
    ),
]
_bearer = HTTPBearer(
    auto_error=False,
    description="An access token from /api/v1/auth/login, or an API key (`dmk_...`)",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _claimed_tenant(request: Request) -> UUID | None:
    """The tenant a well-formed credential names, or None. Nothing is verified here (that is
    `current_caller`'s work); read from the header directly, so that routes anyone may call do
    not advertise a security scheme."""
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credential:
        return None
    presented = read_key(credential.strip())
    if presented is not None:
        return presented.tenant_id
    try:
        claims = access_tokens(request).read(credential.strip())
    except BadToken:
        return None
    request.state.access_claims = claims  # current_caller verifies the same token: once
    return claims.tenant_id


class UnknownIspHost(NotFound):
    """A host no ISP answers at. The gateway sends the API of every `<slug>.<base domain>` here,
    so onboarding's configuring step reads this answer as "the gateway reaches the ISP
    framework at this host"."""

    slug = "unknown-isp-host"


# The dependencies below are the few every ISP route passes through, once per request, so
# they take the composition root from the request rather than as dependencies of their own:
# FastAPI spends ~25 µs of CPU on each dependency a request resolves, and the chain of
# tenant, caller, permission, plugin and unit of work had grown to eleven of them.


async def _resolve_tenant(request: Request, host: str | None, tenant_header: str | None) -> Tenant:
    named: UUID | None = None
    if tenant_header is not None:
        try:
            named = UUID(tenant_header.strip())
        except ValueError:
            raise BadRequest(
                "X-Tenant-ID must be the ISP's tenant id (a UUID).", header="X-Tenant-ID"
            ) from None
    tenant_api = composed(request)
    directory, db = tenant_api.directory, tenant_api.runtime.db
    at_host = await directory.at_host(db, host)
    claimed = _claimed_tenant(request)
    if at_host is not None:
        if named is not None and named != at_host.id:
            raise BadRequest(
                "X-Tenant-ID names another ISP than the host this request was sent to.",
                header="X-Tenant-ID",
            )
        if claimed is not None and claimed != at_host.id:
            raise BadRequest(
                "The credential belongs to another ISP than the host this request was sent "
                "to: send it to its own ISP's address.",
                header="Authorization",
            )
        TENANT.set(str(at_host.id))  # this request's log lines name its ISP
        return at_host
    if named is not None and claimed is not None and named != claimed:
        raise BadRequest(
            "X-Tenant-ID names another ISP than the credential belongs to.",
            header="X-Tenant-ID",
        )
    named = named or claimed
    tenant = await directory.get(db, named) if named is not None else None
    if tenant is None:
        if named is not None:
            raise NotFound(f"No ISP with tenant id {named}.")
        raise UnknownIspHost(
            f"No ISP answers at {service.host_of(host) or 'this host'}: call the ISP's own "
            "address, or name it with an X-Tenant-ID header."
        )
    TENANT.set(str(tenant.id))  # this request's log lines name its ISP
    return tenant


async def signing_in_tenant(
    request: Request, host: HostHeader = None, tenant_header: TenantIdHeader = None
) -> Tenant:
    """The tenant, for signing in and out: allowed even while its licence is suspended, so its
    people can still read their data."""
    return await _resolve_tenant(request, host, tenant_header)


async def current_tenant(
    request: Request, host: HostHeader = None, tenant_header: TenantIdHeader = None
) -> Tenant:
    """The tenant; a request that changes anything is refused while its licence is suspended
    or revoked."""
    tenant = await _resolve_tenant(request, host, tenant_header)
    if request.method not in SAFE_METHODS:
        composed(request).entitlements.require_writable(tenant.id)
    return tenant


SigningInTenant = Annotated[Tenant, Depends(signing_in_tenant)]
CurrentTenant = Annotated[Tenant, Depends(current_tenant)]


def require_plugin(plugin: Plugin) -> Any:
    """Gate a route on a plugin: without it, 403 naming the plugin and the lowest tier with it."""

    async def check(request: Request, tenant: CurrentTenant) -> None:
        composed(request).entitlements.require(tenant.id, plugin)

    check.__name__ = f"require_{plugin.value}"
    return Depends(check)


@dataclass(frozen=True)
class Caller:
    """Who makes a request: a person signed in (`person`), or a program with an API key."""

    tenant_id: UUID
    permissions: frozenset[Permission]
    person: AccessClaims | None = None
    api_key_id: UUID | None = None

    @property
    def reference(self) -> str:
        """Who, as recorded on what they write: `user:<id>` or `api_key:<id>`."""
        if self.person is not None:
            return f"user:{self.person.user_id}"
        return f"api_key:{self.api_key_id}"


def api_rate(tenant_id: UUID, entitlements: EntitlementStore) -> int:
    """Requests a minute the ISP's API keys may make; 403 if its tier has no API access."""
    grant = entitlements.grant(tenant_id)
    if grant is None or grant.api_rate_per_minute is None:
        raise Forbidden(
            "This ISP's tier includes no API access; it comes with the basic tier and above.",
            required_tier="basic",
        )
    return grant.api_rate_per_minute


async def current_caller(
    request: Request, tenant: CurrentTenant, credentials: Credentials
) -> Caller:
    """The caller; its credential must belong to the tenant the request is for."""
    tenant_api = composed(request)
    guard, entitlements = tenant_api.access_guard, tenant_api.entitlements
    if credentials is None:
        raise Unauthorized(
            "Sign in first: send `Authorization: Bearer <access token>` (or an API key)."
        )
    now = datetime.now(UTC)
    if looks_like_key(credentials.credentials):
        presented = read_key(credentials.credentials)
        key = await guard.key(tenant_api.runtime.db, presented, now) if presented else None
        if key is None:
            raise Unauthorized("The API key is invalid, revoked or expired.")
        if key.tenant_id != tenant.id:
            raise Unauthorized("This API key belongs to another ISP.")
        rate = api_rate(tenant.id, entitlements)
        wait = guard.limiter.take(tenant.id, rate)
        if wait:
            raise TooManyRequests(
                f"This ISP's API keys may make {rate} requests a minute; try again shortly.",
                retry_after_s=retry_after(wait),
                limit_per_minute=rate,
            )
        return Caller(tenant.id, key.scopes, api_key_id=key.key_id)
    claims = getattr(request.state, "access_claims", None)
    if claims is None:
        try:
            claims = tenant_api.access_tokens.read(credentials.credentials)
        except BadToken:
            raise Unauthorized("The access token is invalid or has expired.") from None
    if claims.tenant_id != tenant.id:
        raise Unauthorized("This access token belongs to another ISP.")
    if guard.token_revoked(claims):
        raise Unauthorized("This access token was revoked: sign in again.")
    return Caller(tenant.id, PERMISSIONS[claims.role], person=claims)


CurrentCaller = Annotated[Caller, Depends(current_caller)]


async def current_user(caller: CurrentCaller) -> AccessClaims:
    """The signed-in person; API keys are refused."""
    if caller.person is None:
        raise Forbidden("Only a person signed in may do this, not an API key.")
    return caller.person


CurrentUser = Annotated[AccessClaims, Depends(current_user)]


def _denied(caller: Caller, permission: Permission) -> Forbidden:
    who = f"The {caller.person.role.value} role" if caller.person else "This API key"
    return Forbidden(
        f"{who} may not {permission.value.replace(':', ' ')}.",
        permission=permission.value,
        role=caller.person.role.value if caller.person else None,
    )


def require(permission: Permission) -> Any:
    """Gate a route on a permission: of the signed-in person's role (see auth.roles), or among
    the API key's scopes."""

    async def check(caller: CurrentCaller) -> Caller:
        if permission not in caller.permissions:
            raise _denied(caller, permission)
        return caller

    check.__name__ = f"require_{permission.name.lower()}"
    check.permission = permission  # type: ignore[attr-defined]  # read by the role matrix test
    return Depends(check)


def require_person(permission: Permission) -> Any:
    """As `require`, for what only people do (managing users and API keys)."""

    async def check(user: CurrentUser) -> AccessClaims:
        if permission not in PERMISSIONS[user.role]:
            raise Forbidden(
                f"The {user.role.value} role may not {permission.value.replace(':', ' ')}.",
                permission=permission.value,
                role=user.role.value,
            )
        return user

    check.__name__ = f"require_person_{permission.name.lower()}"
    check.permission = permission  # type: ignore[attr-defined]
    return Depends(check)


async def _tenant_work(request: Request, caller: CurrentCaller) -> AsyncIterator[UnitOfWork]:
    tenant_api = composed(request)
    async with tenant_api.runtime.db.unit_of_work(tenant=caller.tenant_id) as session:
        work = UnitOfWork(session, caller.tenant_id, tenant_api.bus, datetime.now(UTC))
        yield work
        await work.flush()  # whatever was raised and not yet handled, before the commit


TenantWork = Annotated[UnitOfWork, Depends(_tenant_work, scope="function")]
"""The request's unit of work at the caller's ISP (its rows only, under row-level security):
committed when the endpoint returns, before the response is sent; rolled back if it raises.
Service functions take it (or its session) and never commit."""


async def _tenant_session(request: Request, caller: CurrentCaller) -> AsyncIterator[AsyncSession]:
    async with composed(request).runtime.db.unit_of_work(tenant=caller.tenant_id) as session:
        yield session


TenantSession = Annotated[AsyncSession, Depends(_tenant_session, scope="function")]
"""A unit of work at the caller's ISP, as `TenantWork`, for what raises no domain event: its
session."""
