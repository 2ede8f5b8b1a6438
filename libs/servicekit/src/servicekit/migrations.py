"""Alembic, one migration history per service, each in the service's own schema.

A service's `migrations/env.py` calls `run_env(metadata)`; `upgrade()` runs it to head.
"""

import asyncio
import shutil
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def alembic_config(script_location: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["database_url"] = database_url
    return config


def upgrade(script_location: Path, database_url: str, revision: str = "head") -> None:
    """Blocking: run it from a thread when an event loop is already running."""
    command.upgrade(alembic_config(script_location, database_url), revision)


def run_env(metadata: MetaData) -> None:
    schema = metadata.schema
    if not schema:
        raise ValueError("a service's metadata must name its schema")
    url = context.config.attributes["database_url"]

    def migrate(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=False,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                # Several services may migrate at once; creating a schema races, so serialize.
                await connection.execute(
                    text("SELECT pg_advisory_lock(hashtext(:s))"), {"s": schema}
                )
                await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                await connection.commit()
                await connection.run_sync(migrate)
                await connection.commit()
                await connection.execute(
                    text("SELECT pg_advisory_unlock(hashtext(:s))"), {"s": schema}
                )
        finally:
            await engine.dispose()

    asyncio.run(run())


def new_revision(script_location: Path, database_url: str, message: str) -> None:
    """Autogenerate the next revision of a service's migrations by comparing its models with a
    database migrated to head. Every service shares the one template kept here."""
    template = Path(__file__).parent / "alembic_template" / "script.py.mako"
    target = script_location / "script.py.mako"
    shutil.copyfile(template, target)
    try:
        command.revision(
            alembic_config(script_location, database_url), message=message, autogenerate=True
        )
    finally:
        target.unlink()


def create_messaging_tables_v1(schema: str) -> None:
    """Create `schema`'s outbox and inbox as `servicekit.messaging` first defined them.

    Frozen: an initial migration must keep creating what it created. A later change to the
    messaging tables gets a helper and a migration of its own.
    """
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column(
            "handled_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
        schema=schema,
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("ce_subject", sa.String(length=200), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("trace_headers", JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
        schema=schema,
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["id"],
        unique=False,
        schema=schema,
        postgresql_where=sa.text("published_at IS NULL"),
    )


def drop_messaging_tables_v1(schema: str) -> None:
    op.drop_index("ix_outbox_unpublished", table_name="outbox", schema=schema)
    op.drop_table("outbox", schema=schema)
    op.drop_table("inbox", schema=schema)
