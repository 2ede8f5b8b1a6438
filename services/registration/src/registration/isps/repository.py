from uuid import UUID

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from registration.models import IdempotentResponse, Isp


class IspRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, isp_id: UUID) -> Isp | None:
        return await self.session.get(Isp, isp_id)

    async def find_clash(
        self, *, domain: str, company_key: str, country: str, registration_number: str
    ) -> Isp | None:
        return (
            await self.session.execute(
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

    async def slug_taken(self, slug: str) -> bool:
        return (
            await self.session.execute(
                select(Isp.id).where(Isp.slug == slug, Isp.deleted_at.is_(None))
            )
        ).first() is not None

    def add(self, *rows: object) -> None:
        self.session.add_all(rows)

    async def idempotent_response(self, key: str) -> IdempotentResponse | None:
        return await self.session.get(IdempotentResponse, key)
