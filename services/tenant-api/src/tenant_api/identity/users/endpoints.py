from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, status

from tenant_api.deps import (
    Caller,
    CurrentTenant,
    TenantSession,
    TenantWork,
    WelcomeDep,
    require,
    require_person,
)
from tenant_api.identity.auth.roles import Permission
from tenant_api.identity.auth.tokens import AccessClaims
from tenant_api.identity.users import service
from tenant_api.identity.users.schemas import UserInvite, UserList, UserRead, UserUpdate

router = APIRouter(prefix="/api/v1/users", tags=["users"])
Reader = Annotated[Caller, require(Permission.USERS_READ)]
Manager = Annotated[AccessClaims, require_person(Permission.USERS_MANAGE)]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    403: {"description": "The role may not do this"},
}


@router.get("", responses=ERRORS)
async def list_users(actor: Reader, session: TenantSession) -> UserList:
    """Everyone with an account at this ISP."""
    users = await service.list_users(session)
    return UserList(users=[UserRead.model_validate(u, from_attributes=True) for u in users])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={**ERRORS, 409: {"description": "The email already has an account"}},
)
async def invite_user(
    invite: UserInvite,
    actor: Manager,
    tenant: CurrentTenant,
    work: TenantWork,
    welcome: WelcomeDep,
) -> UserRead:
    """Give someone an account; they get a one-time code by email to choose a password."""
    user = await service.invite_user(work.session, welcome, tenant, actor, invite, now=work.now)
    return UserRead.model_validate(user, from_attributes=True)


@router.patch(
    "/{user_id}",
    responses={
        **ERRORS,
        404: {"description": "No such user here"},
        409: {"description": "It would leave no active owner"},
    },
)
async def update_user(
    user_id: UUID, change: UserUpdate, actor: Manager, work: TenantWork
) -> UserRead:
    """Change a user's role, or disable (and sign out) or re-enable them."""
    user = await service.update_user(work.session, actor, user_id, change, now=work.now)
    return UserRead.model_validate(user, from_attributes=True)
