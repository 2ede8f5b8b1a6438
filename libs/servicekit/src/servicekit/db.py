"""Engine, sessions and the unit of work. Service code never commits: the boundary does."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


class Database:
    def __init__(self, url: str, *, pool_size: int = 10, max_overflow: int = 20) -> None:
        self.engine: AsyncEngine = create_async_engine(
            url, pool_size=pool_size, max_overflow=max_overflow, pool_recycle=1800
        )
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def unit_of_work(self, tenant: UUID | None = None) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back if it raises.

        With `tenant`, the transaction sees and writes only that tenant's rows of the tables
        under row-level security (`tenant_isolation` policies read `app.tenant_id`); without
        it, it sees none of them.
        """
        async with self.sessionmaker() as session, session.begin():
            if tenant is not None:
                await session.execute(
                    text("SELECT set_config('app.tenant_id', :tenant, true)"),
                    {"tenant": str(tenant)},
                )
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
