from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, status

from servicekit.http import RuntimeDep
from tenant_api.deps import (
    ERRORS,
    CurrentCaller,
    CurrentUser,
    EntitlementsDep,
    SigningInTenant,
    TenantApiDep,
    TenantSession,
)
from tenant_api.identity.auth import service
from tenant_api.identity.auth.schemas import (
    CallerRead,
    FirstLogin,
    Login,
    Me,
    RefreshRequest,
    TokenPair,
)
from tenant_api.identity.auth.service import InvalidCredentials
from tenant_api.identity.auth.welcome import choose_first_password
from tenant_api.tenancy.tenants.service import record_use

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"description": "Wrong credentials, or an unknown, used or expired token"}
}


@router.post("/login", responses=UNAUTHORIZED)
async def login(
    credentials: Login, tenant: SigningInTenant, runtime: RuntimeDep, tenant_api: TenantApiDep
) -> TokenPair:
    """Sign in to this ISP (the host says which) with email and password. Signing in to a
    demo extends it."""
    now = datetime.now(UTC)
    async with runtime.db.unit_of_work(tenant=tenant.id) as session:
        pair = await service.login(
            session,
            tenant_api.access_tokens,
            email=credentials.email,
            password=credentials.password,
            now=now,
            refresh_ttl=tenant_api.refresh_ttl,
        )
        if tenant.demo:
            await record_use(session, runtime.outbox, tenant.id, now=now)
        return pair


@router.post("/refresh", responses=UNAUTHORIZED)
async def refresh(
    body: RefreshRequest, tenant: SigningInTenant, runtime: RuntimeDep, tenant_api: TenantApiDep
) -> TokenPair:
    """Trade a refresh token for a new pair; each refresh token works once."""
    async with runtime.db.unit_of_work(tenant=tenant.id) as session:
        pair = await service.refresh(
            session,
            tenant_api.access_tokens,
            refresh_token=body.refresh_token,
            now=datetime.now(UTC),
            refresh_ttl=tenant_api.refresh_ttl,
        )
    if pair is None:
        raise InvalidCredentials("This refresh token was already used: every session ended.")
    return pair


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(body: RefreshRequest, tenant: SigningInTenant, runtime: RuntimeDep) -> None:
    """End the session of this refresh token (repeating it is harmless)."""
    async with runtime.db.unit_of_work(tenant=tenant.id) as session:
        await service.logout(session, refresh_token=body.refresh_token, now=datetime.now(UTC))


@router.get("/caller", responses={**UNAUTHORIZED, 429: ERRORS[429]})
async def caller(caller: CurrentCaller, entitlements: EntitlementsDep) -> CallerRead:
    """Who the credential is, a person signed in or an API key, at the ISP the request is for,
    and what it may do there: for other services, which pass a caller's `Authorization` header
    on (naming the ISP with `X-Tenant-ID`). Checked as any request is: a revoked, expired or
    another ISP's credential is refused, and a key's request counts against the ISP's API
    rate."""
    person = caller.person
    return CallerRead(
        tenant_id=caller.tenant_id,
        kind="person" if person is not None else "api_key",
        user_id=person.user_id if person is not None else None,
        api_key_id=caller.api_key_id,
        role=person.role if person is not None else None,
        permissions=sorted(caller.permissions),
        plugins=sorted(entitlements.plugins(caller.tenant_id)),
    )


@router.get("/me", responses=UNAUTHORIZED)
async def me(user: CurrentUser, session: TenantSession) -> Me:
    """Who the access token belongs to."""
    return Me.model_validate(await service.me(session, user.user_id), from_attributes=True)


@router.post("/first-login", responses=UNAUTHORIZED)
async def first_login(
    body: FirstLogin, tenant: SigningInTenant, runtime: RuntimeDep, tenant_api: TenantApiDep
) -> TokenPair:
    """Choose the first password with the one-time code from the welcome email (it works once,
    for 72 hours), and be signed in."""
    async with runtime.db.unit_of_work(tenant=tenant.id) as session:
        return await choose_first_password(
            session,
            tenant_api.access_tokens,
            token=body.token,
            password=body.password,
            now=datetime.now(UTC),
            refresh_ttl=tenant_api.refresh_ttl,
        )
