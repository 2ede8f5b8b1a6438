"""Signing in, refreshing, signing out. Every function runs in a unit of work opened for the
tenant the request came to: row-level security hides every other tenant's users and tokens."""

import uuid
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.http import Unauthorized
from tenant_api.identity.auth import repository
from tenant_api.identity.auth.passwords import hash_password, password_matches
from tenant_api.identity.auth.roles import Role
from tenant_api.identity.auth.schemas import TokenPair
from tenant_api.identity.auth.tokens import AccessTokens, new_refresh_token, refresh_token_hash
from tenant_api.models import RefreshToken, User


class InvalidCredentials(Unauthorized):
    slug = "invalid-credentials"


async def create_user(
    session: AsyncSession,
    *,
    tenant_id: UUID,
    email: str,
    name: str,
    role: Role,
    password: str | None,
    now: datetime,
) -> User:
    user = User(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        email=email.lower(),
        name=name,
        role=role.value,
        password_hash=await hash_password(password) if password else None,
        status="active",
        created_at=now,
    )
    session.add(user)
    await session.flush()
    return user


async def signed_in(
    session: AsyncSession,
    tokens: AccessTokens,
    user: User,
    *,
    now: datetime,
    refresh_ttl: timedelta,
) -> TokenPair:
    """A new session for `user`: an access token and a refresh token."""
    refresh, digest = new_refresh_token()
    session.add(
        RefreshToken(
            id=uuid.uuid4(),
            tenant_id=user.tenant_id,
            user_id=user.id,
            token_hash=digest,
            expires_at=now + refresh_ttl,
            created_at=now,
        )
    )
    access = tokens.issue(user_id=user.id, tenant_id=user.tenant_id, role=Role(user.role), now=now)
    return TokenPair(
        access_token=access, refresh_token=refresh, expires_in=int(tokens.ttl.total_seconds())
    )


async def login(
    session: AsyncSession,
    tokens: AccessTokens,
    *,
    email: str,
    password: str,
    now: datetime,
    refresh_ttl: timedelta,
) -> TokenPair:
    user = await repository.user_by_email(session, email.lower())
    matches = await password_matches(user.password_hash if user else None, password)
    if user is None or not matches or user.status != "active":
        raise InvalidCredentials("The email or the password is wrong.")
    user.last_login_at = now
    return await signed_in(session, tokens, user, now=now, refresh_ttl=refresh_ttl)


async def refresh(
    session: AsyncSession,
    tokens: AccessTokens,
    *,
    refresh_token: str,
    now: datetime,
    refresh_ttl: timedelta,
) -> TokenPair | None:
    """Trade a refresh token for a new pair. A token used twice means it leaked: every
    session of its user ends, and None says so (the caller commits that, then refuses)."""
    row = await repository.refresh_token_for_update(session, refresh_token_hash(refresh_token))
    if row is None or row.expires_at <= now:
        raise InvalidCredentials("The refresh token is unknown or expired; sign in again.")
    if row.revoked_at is not None:
        await repository.revoke_refresh_tokens_of(session, row.user_id, now)
        return None
    row.revoked_at = now
    user = await repository.get_user(session, row.user_id)
    if user is None or user.status != "active":
        raise InvalidCredentials("This account cannot sign in.")
    return await signed_in(session, tokens, user, now=now, refresh_ttl=refresh_ttl)


async def logout(session: AsyncSession, *, refresh_token: str, now: datetime) -> None:
    await repository.revoke_refresh_token(session, refresh_token_hash(refresh_token), now)


async def me(session: AsyncSession, user_id: UUID) -> User:
    """The signed-in user's account; refused if it no longer exists."""
    user = await repository.get_user(session, user_id)
    if user is None:
        raise InvalidCredentials("This account no longer exists.")
    return user
