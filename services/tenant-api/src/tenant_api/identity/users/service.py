"""Managing a tenant's users: owners and admins invite, change roles, disable. Only an owner
touches owners, and the last active owner stays."""

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.problems import Conflict, NotFound
from tenant_api.deps import Forbidden
from tenant_api.identity.auth import repository as auth_repository
from tenant_api.identity.auth.access import revoke_tokens
from tenant_api.identity.auth.roles import Permission, Role, may
from tenant_api.identity.auth.service import create_user
from tenant_api.identity.auth.tokens import AccessClaims
from tenant_api.identity.auth.welcome import Welcome
from tenant_api.identity.users import repository
from tenant_api.identity.users.schemas import UserInvite, UserUpdate
from tenant_api.models import Tenant, User


def _guard_owners(actor: AccessClaims, touches_owner: bool) -> None:
    if touches_owner and not may(actor.role, Permission.OWNERS_MANAGE):
        raise Forbidden(
            "Only an owner may make, change or disable owners.",
            permission=Permission.OWNERS_MANAGE.value,
            role=actor.role.value,
        )


async def list_users(session: AsyncSession) -> list[User]:
    return await repository.users(session)


async def invite_user(
    session: AsyncSession,
    welcome: Welcome,
    tenant: Tenant,
    actor: AccessClaims,
    invite: UserInvite,
    *,
    now: datetime,
) -> User:
    _guard_owners(actor, invite.role is Role.OWNER)
    email = str(invite.email).lower()
    if await repository.email_taken(session, email):
        raise Conflict(f"{email} already has an account at this ISP.", field="email")
    user = await create_user(
        session,
        tenant_id=tenant.id,
        email=email,
        name=invite.name,
        role=invite.role,
        password=None,
        now=now,
    )
    await welcome.invite(session, tenant, user, now=now)
    return user


async def update_user(
    session: AsyncSession, actor: AccessClaims, user_id: UUID, change: UserUpdate, *, now: datetime
) -> User:
    user = await repository.get_for_update(session, user_id)
    if user is None:
        raise NotFound(f"No user {user_id} at this ISP.")
    becomes_owner = change.role is Role.OWNER
    _guard_owners(actor, user.role == Role.OWNER or becomes_owner)
    leaves_owners = user.role == Role.OWNER and (
        (change.role is not None and change.role is not Role.OWNER) or change.status == "disabled"
    )
    if leaves_owners and await repository.active_owners(session) <= 1:
        raise Conflict("An ISP keeps at least one active owner; make another owner first.")
    if (change.role is not None and change.role.value != user.role) or (
        change.status == "disabled" and user.status != "disabled"
    ):
        # Their access tokens say the old role, or that they may come in: refuse them now.
        await revoke_tokens(session, user.id, now)
    if change.role is not None:
        user.role = change.role.value
    if change.status is not None:
        user.status = change.status
        if change.status == "disabled":
            await auth_repository.revoke_refresh_tokens_of(session, user.id, now)
    return user


async def is_active(session: AsyncSession, user_id: UUID) -> bool:
    """Whether the user exists at the ISP and is not disabled (someone work can go to)."""
    status = await repository.status_of(session, user_id)
    return status is not None and status != "disabled"
