"""What tenant-api's endpoints depend on: the calling tenant and its entitlements."""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from servicekit.http import RuntimeDep, Unauthorized
from servicekit.problems import Problem
from tenant_api.auth.roles import Permission, may
from tenant_api.auth.tokens import AccessClaims, AccessTokens, BadToken
from tenant_api.entitlements.store import EntitlementStore
from tenant_api.models import Tenant
from tenant_api.tenants import service


def get_entitlements(request: Request) -> EntitlementStore:
    store: EntitlementStore = request.app.state.entitlements
    return store


EntitlementsDep = Annotated[EntitlementStore, Depends(get_entitlements)]
HostHeader = Annotated[str | None, Header(alias="Host", include_in_schema=False)]


async def current_tenant(runtime: RuntimeDep, host: HostHeader = None) -> Tenant:
    """The tenant whose host the request came to (through the gateway)."""
    async with runtime.db.unit_of_work() as session:
        return await service.resolve(session, host)


CurrentTenant = Annotated[Tenant, Depends(current_tenant)]


def require_plugin(plugin: str) -> Any:
    """Gate a route on a plugin: without it, 403 naming the plugin and the lowest tier with it."""

    def check(tenant: CurrentTenant, entitlements: EntitlementsDep) -> None:
        entitlements.require(tenant.id, plugin)

    check.__name__ = f"require_{plugin}"
    dependency: Callable[..., None] = check
    return Depends(dependency)


def access_tokens(request: Request) -> AccessTokens:
    tokens: AccessTokens = request.app.state.access_tokens
    return tokens


_bearer = HTTPBearer(auto_error=False, description="An access token from /api/v1/auth/login")


async def current_user(
    request: Request,
    tenant: CurrentTenant,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AccessClaims:
    """The signed-in user. The token must belong to the tenant the host names."""
    if credentials is None:
        raise Unauthorized("Sign in first: send `Authorization: Bearer <access token>`.")
    try:
        claims = access_tokens(request).read(credentials.credentials)
    except BadToken:
        raise Unauthorized("The access token is invalid or has expired.") from None
    if claims.tenant_id != tenant.id:
        raise Unauthorized("This access token belongs to another ISP.")
    return claims


CurrentUser = Annotated[AccessClaims, Depends(current_user)]


class Forbidden(Problem):
    status, title, slug = 403, "Forbidden", "forbidden"


def require(permission: Permission) -> Any:
    """Gate a route on a permission of the signed-in user's role (see auth.roles)."""

    def check(user: CurrentUser) -> AccessClaims:
        if not may(user.role, permission):
            raise Forbidden(
                f"The {user.role.value} role may not {permission.value.replace(':', ' ')}.",
                permission=permission.value,
                role=user.role.value,
            )
        return user

    check.__name__ = f"require_{permission.name.lower()}"
    return Depends(check)
