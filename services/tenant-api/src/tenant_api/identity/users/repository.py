"""Users' SQL: the accounts at the ISP the unit of work is for."""

from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenant_api.identity.auth.roles import Role
from tenant_api.models import User


async def users(session: AsyncSession) -> list[User]:
    """Every user, oldest account first."""
    return list((await session.execute(select(User).order_by(User.created_at))).scalars())


async def email_taken(session: AsyncSession, email: str) -> bool:
    """Whether a user has this (lower-case) email already."""
    return (await session.execute(select(User.id).where(User.email == email))).first() is not None


async def get_for_update(session: AsyncSession, user_id: UUID) -> User | None:
    """The user, locked until the transaction ends."""
    return await session.get(User, user_id, with_for_update=True)


async def active_owners(session: AsyncSession) -> int:
    """How many owners are not disabled."""
    return (
        await session.execute(
            select(func.count())
            .select_from(User)
            .where(User.role == Role.OWNER.value, User.status == "active")
        )
    ).scalar_one()


async def status_of(session: AsyncSession, user_id: UUID) -> str | None:
    """The user's status; None if there is no such user."""
    return await session.scalar(select(User.status).where(User.id == user_id))
