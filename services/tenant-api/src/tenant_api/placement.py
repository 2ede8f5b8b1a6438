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

from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from servicekit.db import Database
from servicekit.rls import isolate_tenant_table, service_role
from servicekit.runtime import Runtime
from tenant_api.models import TENANT_DATA, TENANT_DATA_TABLES
from tenant_api.tenants.directory import TenantDirectory

APP_ROLE = "dotmac_tenant_api"
SILO_PREFIX = "tenant_silo_"


def silo_schema(tenant_id: UUID) -> str:
    return f"{SILO_PREFIX}{tenant_id.hex}"


class Placements:
    """Each tenant's schemas, read from the replica's tenant directory (which keeps the tenant
    rows, and forgets a tenant when the database announces it changed or went)."""

    def __init__(self, directory: TenantDirectory) -> None:
        self._directory = directory
        self._db: Database | None = None

    async def __call__(self, tenant_id: UUID) -> dict[str, str] | None:
        assert self._db is not None, "placements are used before the service started"
        tenant = await self._directory.get(self._db, tenant_id)
        if tenant is None or tenant.data_schema is None:
            return None
        return {TENANT_DATA: tenant.data_schema}

    @asynccontextmanager
    async def kept_current(self, runtime: Runtime) -> AsyncIterator[None]:
        self._db = runtime.db
        runtime.db.place_tenants_with(self)
        yield


def _create_tables(connection: Connection, schema: str) -> None:
    translated = connection.execution_options(schema_translate_map={TENANT_DATA: schema})
    for table in TENANT_DATA_TABLES:
        table.create(translated)


async def create_silo(owner_database_url: str, tenant_id: UUID) -> str:
    """Create the tenant's schema with every tenant-data table, under row-level security and
    granted to the service's role, in one transaction. Needs the schema owner's connection:
    the service's own role may create nothing."""
    schema = silo_schema(tenant_id)
    engine = create_async_engine(owner_database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            exists = await connection.scalar(
                text("SELECT count(*) FROM information_schema.tables WHERE table_schema = :s"),
                {"s": schema},
            )
            if not exists:
                await connection.run_sync(_create_tables, schema)
                for table in TENANT_DATA_TABLES:
                    await _execute_all(connection, isolate_tenant_table(schema, table.name))
                await _execute_all(connection, service_role(schema, APP_ROLE))
    finally:
        await engine.dispose()
    return schema


async def drop_silo(owner_database_url: str, schema: str) -> None:
    if not schema.startswith(SILO_PREFIX):
        raise ValueError(f"{schema} is not a tenant silo")
    engine = create_async_engine(owner_database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        await engine.dispose()


async def silo_schemas(connection: AsyncConnection) -> list[str]:
    rows = await connection.execute(
        text("SELECT data_schema FROM tenant.tenants WHERE data_schema IS NOT NULL")
    )
    return [r[0] for r in rows]


async def _execute_all(connection: AsyncConnection, statements: list[str]) -> None:
    for statement in statements:
        await connection.execute(text(statement))
