"""Which tenant answers at which host: looked up once per replica and kept, so resolving the
tenant of a request costs no database round trip. The database announces every update or
deletion of a tenant row on `TENANT_CHANGED` (a trigger), and each replica forgets that tenant.
A lookup that raced a change answers with the row it read, but is not kept (a generation count
tells): while ISPs are being onboarded, tenants change all the time, and a lookup that then
answered "no such ISP" turned requests to a new ISP's host into 404s."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.db import Database
from servicekit.notify import listen
from servicekit.runtime import Runtime
from servicekit.tasks import cancel_and_wait
from tenant_api.models import Tenant
from tenant_api.tenancy.tenants import repository
from tenant_api.tenancy.tenants.service import TENANT_CHANGED, host_of

_Key = TypeVar("_Key", str, UUID)


class TenantDirectory:
    def __init__(self) -> None:
        self._by_host: dict[str, Tenant] = {}
        self._by_id: dict[UUID, Tenant] = {}
        self._generation = 0

    async def at_host(self, db: Database, host_header: str | None) -> Tenant | None:
        host = host_of(host_header)
        if not host:
            return None
        return self._by_host.get(host) or await self._load(db, repository.at_host, host)

    async def get(self, db: Database, tenant_id: UUID) -> Tenant | None:
        return self._by_id.get(tenant_id) or await self._load(db, repository.with_id, tenant_id)

    def forget(self, tenant_id: UUID) -> None:
        self._generation += 1
        tenant = self._by_id.pop(tenant_id, None)
        if tenant is not None:
            self._by_host.pop(tenant.host, None)

    async def _load(
        self,
        db: Database,
        lookup: Callable[[AsyncSession, _Key], Awaitable[Tenant | None]],
        key: _Key,
    ) -> Tenant | None:
        generation = self._generation
        async with db.unit_of_work() as session:
            tenant = await lookup(session, key)
            if tenant is None:
                return None  # unknown: not remembered, so a tenant created later is found
            session.expunge(tenant)
        if generation == self._generation:  # no change raced the read: the row is current
            self._by_id[tenant.id] = tenant
            self._by_host[tenant.host] = tenant
        return tenant

    @asynccontextmanager
    async def kept_current(self, runtime: Runtime) -> AsyncIterator[None]:
        listener = asyncio.create_task(
            listen(runtime.db, TENANT_CHANGED, lambda tenant: self.forget(UUID(tenant)))
        )
        try:
            yield
        finally:
            await cancel_and_wait(listener)
            await asyncio.gather(listener, return_exceptions=True)
