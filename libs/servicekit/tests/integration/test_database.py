"""`Database`: single reads outside any transaction block; a pool opened in full; the tenant
of a unit of work."""

import asyncio
from uuid import uuid4

import pytest
from sqlalchemy import MetaData, Table, text

from servicekit.db import Database


async def test_a_read_runs_outside_a_transaction_block(migrated_database: str):
    db = Database(migrated_database)
    try:
        async with db.reading() as connection:
            # Outside a transaction block, now() is each statement's own start.
            first = (await connection.execute(text("SELECT now()"))).scalar_one()
            await asyncio.sleep(0.02)
            second = (await connection.execute(text("SELECT now()"))).scalar_one()
            assert second > first
        async with db.unit_of_work() as session:  # a unit of work keeps one snapshot
            first = (await session.execute(text("SELECT now()"))).scalar_one()
            await asyncio.sleep(0.02)
            assert (await session.execute(text("SELECT now()"))).scalar_one() == first
    finally:
        await db.dispose()


async def test_a_pool_opened_in_full_holds_every_connection_open_and_idle(
    migrated_database: str,
):
    db = Database(migrated_database, connections=4)
    metadata = MetaData()
    warm = [Table("tenants", metadata, schema="tenant"), Table("gone", metadata, schema="none")]
    try:
        await db.open_all(warm=warm)  # a table that is not there is skipped
        pool = db.engine.pool
        assert (pool.checkedin(), pool.checkedout()) == (4, 0), "all open, none in use"
        async with db.unit_of_work() as session:  # and the connections work as before
            assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await db.dispose()


async def test_a_tenant_is_set_for_its_unit_of_work_only(migrated_database: str):
    """The tenant rides along with the transaction's BEGIN: it holds for that unit of work's
    statements, and for no later one on the same connection, even one whose unit of work ran
    no statement at all."""
    db = Database(migrated_database, connections=1)
    tenant = uuid4()
    setting = text("SELECT current_setting('app.tenant_id', true)")
    try:
        async with db.unit_of_work(tenant=tenant) as session:
            assert (await session.execute(setting)).scalar_one() == str(tenant)
            assert (await session.execute(setting)).scalar_one() == str(tenant)
        async with db.unit_of_work() as session:
            assert not (await session.execute(setting)).scalar_one()
        async with db.unit_of_work(tenant=uuid4()):
            pass  # nothing sent: no BEGIN carried the tenant
        async with db.unit_of_work() as session:
            assert not (await session.execute(setting)).scalar_one()
        with pytest.raises(RuntimeError):
            async with db.unit_of_work(tenant=tenant) as session:
                raise RuntimeError("before any statement")
        async with db.unit_of_work() as session:
            assert not (await session.execute(setting)).scalar_one()
    finally:
        await db.dispose()
