"""Where each tenant's own data lives: the shared `tenant_data` schema, its rows kept apart by
row-level security, or — for enterprise tenants that ask for it — a schema of its own (a silo).

A silo has exactly the tables of `tenant_data`, created from the same models, under the same
row-level security and grants; the same code reaches it because every transaction scoped to a
silo tenant translates `tenant_data` to the silo's schema (`Database.place_tenants_with`).
A tenant's placement is chosen when it is created and never changes.

Migrations that change `tenant_data` must change every silo too: `silo_schemas()` lists them.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

from sqlalchemy.ext.asyncio import create_async_engine

from servicekit.db import Database
from servicekit.notify import listen
from servicekit.runtime import Runtime
from servicekit.tasks import cancel_and_wait
from tenant_api.models import TENANT_DATA, TENANT_DATA_TABLES
from tenant_api.tenancy import repository
from tenant_api.tenancy.rls import isolate_tenant_table, service_role
from tenant_api.tenancy.tenants.service import TENANT_CHANGED

APP_ROLE = "dotmac_tenant_api"
CHANNEL = TENANT_CHANGED
SILO_PREFIX = "tenant_silo_"


def silo_schema(tenant_id: UUID) -> str:
    return f"{SILO_PREFIX}{tenant_id.hex}"


class Placements:
    """Each tenant's schemas, looked up once per replica and kept (placements do not change;
    a dropped tenant is forgotten by every replica)."""

    def __init__(self) -> None:
        self._known: dict[UUID, dict[str, str] | None] = {}
        self._db: Database | None = None

    async def __call__(self, tenant_id: UUID) -> dict[str, str] | None:
        if tenant_id not in self._known:
            assert self._db is not None, "placements are used before the service started"
            async with self._db.unit_of_work() as session:
                row = await repository.data_schema(session, tenant_id)
            if row is None:  # no such tenant (yet): keep no guess
                return None
            self._known[tenant_id] = {TENANT_DATA: row.data_schema} if row.data_schema else None
        return self._known[tenant_id]

    def forget(self, tenant_id: UUID) -> None:
        self._known.pop(tenant_id, None)

    @asynccontextmanager
    async def kept_current(self, runtime: Runtime) -> AsyncIterator[None]:
        self._db = runtime.db
        runtime.db.place_tenants_with(self)
        listener = asyncio.create_task(
            listen(runtime.db, CHANNEL, lambda tenant: self.forget(UUID(tenant)))
        )
        try:
            yield
        finally:
            await cancel_and_wait(listener)
            await asyncio.gather(listener, return_exceptions=True)


async def create_silo(owner_database_url: str, tenant_id: UUID) -> str:
    """Create the tenant's schema with every tenant-data table, under row-level security and
    granted to the service's role, in one transaction. Needs the schema owner's connection:
    the service's own role may create nothing."""
    schema = silo_schema(tenant_id)
    engine = create_async_engine(owner_database_url)
    try:
        async with engine.begin() as connection:
            await repository.create_schema(connection, schema)
            if not await repository.has_tables(connection, schema):
                await repository.create_tenant_data_tables(connection, schema)
                for table in TENANT_DATA_TABLES:
                    await repository.execute_all(
                        connection, isolate_tenant_table(schema, table.name)
                    )
                await repository.execute_all(connection, service_role(schema, APP_ROLE))
    finally:
        await engine.dispose()
    return schema


async def drop_silo(owner_database_url: str, schema: str) -> None:
    if not schema.startswith(SILO_PREFIX):
        raise ValueError(f"{schema} is not a tenant silo")
    engine = create_async_engine(owner_database_url)
    try:
        async with engine.begin() as connection:
            await repository.drop_schema(connection, schema)
    finally:
        await engine.dispose()


silo_schemas = repository.silo_schemas
"""Every silo's schema (for migrations, which must change each silo as they change
`tenant_data`)."""
