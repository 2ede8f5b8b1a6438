"""ISPs' SQL: who is registered under which names, and the answers kept for repeated
requests."""

from uuid import UUID

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from registration.models import IdempotentResponse, Isp


async def get(session: AsyncSession, isp_id: UUID) -> Isp | None:
    return await session.get(Isp, isp_id)


async def find_clash(
    session: AsyncSession,
    *,
    domain: str,
    company_key: str,
    country: str,
    registration_number: str,
) -> Isp | None:
    """A live ISP holding the domain, the company name or the company's registration, if any."""
    return (
        await session.execute(
            select(Isp)
            .where(
                Isp.deleted_at.is_(None),
                or_(
                    Isp.domain == domain,
                    Isp.company_key == company_key,
                    (Isp.country == country) & (Isp.registration_number == registration_number),
                ),
            )
            .limit(1)
        )
    ).scalar_one_or_none()


async def slug_taken(session: AsyncSession, slug: str) -> bool:
    """Whether a live ISP has this slug."""
    return (
        await session.execute(select(Isp.id).where(Isp.slug == slug, Isp.deleted_at.is_(None)))
    ).first() is not None


async def idempotent_response(session: AsyncSession, key: str) -> IdempotentResponse | None:
    return await session.get(IdempotentResponse, key)
