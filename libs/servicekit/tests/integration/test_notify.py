"""LISTEN/NOTIFY as services use it, on a real Postgres: a listener hears a change of its own
process as the unit of work commits, and once; a change of another process, through Postgres."""

import asyncio
import uuid

import pytest
from sqlalchemy import text

from servicekit.db import Database
from servicekit.notify import listen, notify

pytestmark = pytest.mark.integration


async def heard_within(heard: list[str], count: int, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while len(heard) < count:
        assert asyncio.get_running_loop().time() < deadline, f"heard only {heard}"
        await asyncio.sleep(0.01)


async def test_a_listener_hears_each_change_once_its_own_as_it_commits(migrated_database: str):
    here, elsewhere = Database(migrated_database), Database(migrated_database)
    channel = f"test_{uuid.uuid4().hex[:8]}"
    heard: list[str] = []
    listener = asyncio.create_task(listen(here, channel, heard.append))
    try:
        await asyncio.sleep(0.3)  # LISTEN is in place
        async with here.unit_of_work() as session:
            await notify(session, channel, "own")
            assert heard == [], "nothing is heard before the commit"
        assert heard == ["own"], "its own change is heard as the unit of work commits"

        async with elsewhere.unit_of_work() as session:
            await notify(session, channel, "other")
        await heard_within(heard, 2)
        with pytest.raises(RuntimeError):  # a rolled-back change is never heard
            async with here.unit_of_work() as session:
                await notify(session, channel, "undone")
                raise RuntimeError("the unit of work fails")
        await asyncio.sleep(0.3)  # Postgres has long delivered everything by now
        assert heard == ["own", "other"], "each change heard once, with its payload"
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
        await here.dispose()
        await elsewhere.dispose()


async def test_one_connection_listens_on_every_channel_of_a_process_and_comes_back(
    migrated_database: str,
):
    here, elsewhere = Database(migrated_database), Database(migrated_database)
    channels = [f"test_{uuid.uuid4().hex[:8]}" for _ in range(3)]
    heard: list[str] = []
    listeners = [
        asyncio.create_task(listen(here, channel, lambda p, c=channel: heard.append(f"{c}:{p}")))
        for channel in channels
    ]
    try:
        await asyncio.sleep(0.3)  # LISTEN is in place
        assert here.engine.pool.checkedout() == 1, "one connection listens on all three"
        async with elsewhere.unit_of_work() as session:
            for channel in channels:
                await notify(session, channel, "a")
        await heard_within(heard, 3)
        assert sorted(heard) == sorted(f"{c}:a" for c in channels)

        # The listening connection dies (a Postgres restart, a network cut): it comes back.
        async with elsewhere.unit_of_work() as session:
            killed = await session.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE query LIKE 'LISTEN %' AND query LIKE ANY(:channels)"
                ),
                {"channels": [f"%{c}%" for c in channels]},
            )
            assert killed.scalars().all() == [True]
        for _ in range(50):
            async with elsewhere.unit_of_work() as session:
                await notify(session, channels[0], "again")
            await asyncio.sleep(0.1)
            if f"{channels[0]}:again" in heard:
                break
        assert f"{channels[0]}:again" in heard, "no listening after the connection was lost"
    finally:
        for listener in listeners:
            listener.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
        assert here.engine.pool.checkedout() == 0, "the last listener gone, so is the connection"
        await here.dispose()
        await elsewhere.dispose()


async def test_a_channel_followed_while_the_first_ones_are_being_listened_to_is_heard(
    migrated_database: str,
):
    """A listener added while the shared connection is still LISTENing on the first channels
    (a service's workers start together) gets its own LISTEN too: asyncpg refuses a second
    statement while one is under way, and a refused LISTEN used to be lost until the
    connection dropped."""
    from servicekit.notify import _listening

    here, elsewhere = Database(migrated_database), Database(migrated_database)
    first = [f"test_{uuid.uuid4().hex[:8]}" for _ in range(5)]
    late = f"test_{uuid.uuid4().hex[:8]}"
    heard: list[str] = []
    listeners = [
        asyncio.create_task(listen(here, channel, lambda p, c=channel: heard.append(f"{c}:{p}")))
        for channel in first
    ]
    try:
        shared = _listening(here)
        while shared._driver is None:  # connected: LISTENing on the first five now
            await asyncio.sleep(0)
        listeners.append(
            asyncio.create_task(listen(here, late, lambda p: heard.append(f"{late}:{p}")))
        )
        await asyncio.sleep(0.5)
        async with elsewhere.unit_of_work() as session:
            await notify(session, late, "b")
        await heard_within(heard, 1)
        assert heard == [f"{late}:b"]
    finally:
        for listener in listeners:
            listener.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
        await here.dispose()
        await elsewhere.dispose()
