"""`Database`: single reads outside any transaction block; a pool opened in full; the tenant
of a unit of work; what asyncpg learns of built-in types, learnt once."""

import asyncio
from uuid import uuid4

import asyncpg
import pytest
from sqlalchemy import MetaData, Table, text

from servicekit.db import Database, _Connection


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


async def test_a_built_in_type_is_asked_about_once_per_process_not_once_per_connection(
    migrated_database: str, monkeypatch: pytest.MonkeyPatch
):
    """asyncpg asks Postgres about `bigint[]` (and other array types) on every connection that
    meets it, a query Postgres takes tens of milliseconds to plan on a fresh backend; the
    answer is the same everywhere, so only the first connection of the process asks."""
    asked: list[frozenset[int]] = []
    ask = asyncpg.Connection._introspect_types

    async def counting(self, typeoids, timeout):  # type: ignore[no-untyped-def]
        asked.append(frozenset(typeoids))
        return await ask(self, typeoids, timeout)

    monkeypatch.setattr(asyncpg.Connection, "_introspect_types", counting)
    monkeypatch.setattr(_Connection, "_built_in_types", {})
    db = Database(migrated_database, connections=3)
    numbers = text("SELECT x FROM unnest(CAST(:ids AS bigint[])) AS x ORDER BY x")
    names = text("SELECT array_length(CAST(:names AS varchar[]), 1)")
    try:
        await db.open_all()
        async with db.engine.connect() as a, db.engine.connect() as b, db.engine.connect() as c:
            for connection in (a, b, c):  # three connections, each its own backend
                found = await connection.execute(numbers, {"ids": [3, 1, 2]})
                assert found.scalars().all() == [1, 2, 3]
                # Run again on a connection that learnt the type from another: still right.
                found = await connection.execute(numbers, {"ids": [5]})
                assert found.scalars().all() == [5]
            assert (await c.execute(names, {"names": ["a", "b"]})).scalar_one() == 2
            backends = {
                (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
                for connection in (a, b, c)
            }
        assert len(backends) == 3
        assert asked == [frozenset({1016}), frozenset({1015})], "bigint[], then varchar[]"
    finally:
        await db.dispose()
