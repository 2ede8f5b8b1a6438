"""`Database`: single reads outside any transaction block; a pool opened in full."""

import asyncio

from sqlalchemy import text

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
    try:
        await db.open_all()
        pool = db.engine.pool
        assert (pool.checkedin(), pool.checkedout()) == (4, 0), "all open, none in use"
    finally:
        await db.dispose()
