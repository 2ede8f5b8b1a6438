"""Placement's SQL: the silo schemas (made and dropped on the schema owner's connection)."""

from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection

from tenant_api.models import TENANT_DATA, TENANT_DATA_TABLES


async def create_schema(connection: AsyncConnection, schema: str) -> None:
    await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))


async def has_tables(connection: AsyncConnection, schema: str) -> bool:
    """Whether `schema` holds any table."""
    found = await connection.scalar(
        text("SELECT count(*) FROM information_schema.tables WHERE table_schema = :s"),
        {"s": schema},
    )
    return bool(found)


def _create_tables(connection: Connection, schema: str) -> None:
    translated = connection.execution_options(schema_translate_map={TENANT_DATA: schema})
    for table in TENANT_DATA_TABLES:
        table.create(translated)


async def create_tenant_data_tables(connection: AsyncConnection, schema: str) -> None:
    """Every table of `tenant_data`, made in `schema` from the same models."""
    await connection.run_sync(_create_tables, schema)


async def execute_all(connection: AsyncConnection, statements: list[str]) -> None:
    """Run DDL statements (row-level security, grants) in order."""
    for statement in statements:
        await connection.execute(text(statement))


async def drop_schema(connection: AsyncConnection, schema: str) -> None:
    """Drop `schema` and everything in it, if it exists."""
    await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


async def silo_schemas(connection: AsyncConnection) -> list[str]:
    """The schema of every tenant placed in a silo."""
    rows = await connection.execute(
        text("SELECT data_schema FROM tenant.tenants WHERE data_schema IS NOT NULL")
    )
    return [r[0] for r in rows]
