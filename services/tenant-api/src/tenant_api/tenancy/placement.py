"""Where each tenant's own data lives: the shared `tenant_data` schema, its rows kept apart by
row-level security, or — for enterprise tenants that ask for it — a schema of its own (a silo).

A silo has exactly the tables of `tenant_data`, created from the same models, under the same
row-level security and grants; the same code reaches it because every transaction scoped to a
silo tenant translates `tenant_data` to the silo's schema (`Database.place_tenants_with`).
A tenant's placement is chosen when it is created and never changes.

Migrations that change `tenant_data` must change every silo too: `silo_schemas()` lists them.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

from sqlalchemy.ext.asyncio import create_async_engine

from servicekit.db import Database
from servicekit.runtime import Runtime
from tenant_api.models import TENANT_DATA, TENANT_DATA_TABLES
from tenant_api.tenancy import repository
from tenant_api.tenancy.rls import isolate_tenant_table, service_role
from tenant_api.tenancy.tenants.directory import TenantDirectory

APP_ROLE = "dotmac_tenant_api"
SILO_PREFIX = "tenant_silo_"


def silo_schema(tenant_id: UUID) -> str:
    return f"{SILO_PREFIX}{tenant_id.hex}"


class Placements:
    """Each tenant's schemas, from its row in the tenant directory: the row a request's tenant
    was resolved from, so placing the request's transactions costs no lookup of its own. The
    directory keeps the rows current (a placement never changes; a dropped tenant is
    forgotten)."""

    def __init__(self, directory: TenantDirectory) -> None:
        self._directory = directory
        self._db: Database | None = None

    async def __call__(self, tenant_id: UUID) -> dict[str, str] | None:
        assert self._db is not None, "placements are used before the service started"
        tenant = await self._directory.get(self._db, tenant_id)
        if tenant is None or not tenant.data_schema:  # no such tenant (yet), or shared
            return None
        return {TENANT_DATA: tenant.data_schema}

    @asynccontextmanager
    async def kept_current(self, runtime: Runtime) -> AsyncIterator[None]:
        """Place the tenants' transactions on `runtime`'s database, for as long as the block
        runs; the directory is kept current by its own `kept_current` (if the process runs
        only this one, a tenant is looked up once and kept)."""
        self._db = runtime.db
        runtime.db.place_tenants_with(self)
        yield


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
