"""Signing in's SQL: users, refresh tokens and one-time login links at the ISP the unit of work
is for, and the access revocations every replica follows."""

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tenant_api.models import AccessRevocation, LoginLink, RefreshToken, User


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    """The user with this (lower-case) email, if any."""
    return (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()


async def get_user(session: AsyncSession, user_id: UUID) -> User | None:
    return await session.get(User, user_id)


async def set_password_hash(session: AsyncSession, user_id: UUID, password_hash: str) -> None:
    await session.execute(
        update(User).where(User.id == user_id).values(password_hash=password_hash)
    )


async def refresh_token_for_update(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    """The refresh token stored under `token_hash`, locked until the transaction ends."""
    return (
        await session.execute(
            select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
        )
    ).scalar_one_or_none()


async def revoke_refresh_token(session: AsyncSession, token_hash: str, now: datetime) -> None:
    """Revoke the refresh token stored under `token_hash`, unless it is revoked already."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.token_hash == token_hash, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_refresh_tokens_of(session: AsyncSession, user_id: UUID, now: datetime) -> None:
    """Revoke every refresh token of the user not revoked yet: all their sessions end."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def login_link_for_update(session: AsyncSession, token_hash: str) -> LoginLink | None:
    """The one-time login link stored under `token_hash`, locked until the transaction ends."""
    return (
        await session.execute(
            select(LoginLink).where(LoginLink.token_hash == token_hash).with_for_update()
        )
    ).scalar_one_or_none()


async def record_revocation(session: AsyncSession, user_id: UUID, now: datetime) -> None:
    """Record that the user's access tokens issued up to `now` are refused."""
    statement = insert(AccessRevocation).values(user_id=user_id, revoked_at=now)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[AccessRevocation.user_id], set_={"revoked_at": now}
        )
    )


async def revocations_since(
    session: AsyncSession, since: datetime, user_id: UUID | None = None
) -> Sequence[AccessRevocation]:
    """The revocations recorded after `since`: everyone's, or `user_id`'s."""
    query = select(AccessRevocation).where(AccessRevocation.revoked_at > since)
    if user_id is not None:
        query = query.where(AccessRevocation.user_id == user_id)
    return (await session.execute(query)).scalars().all()


async def delete_revocations_up_to(session: AsyncSession, until: datetime) -> None:
    """Forget the revocations recorded up to `until`."""
    await session.execute(delete(AccessRevocation).where(AccessRevocation.revoked_at <= until))
