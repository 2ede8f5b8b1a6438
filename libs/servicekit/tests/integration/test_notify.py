"""LISTEN/NOTIFY as services use it, on a real Postgres: a listener hears a change of its own
process as the unit of work commits, and once; a change of another process, through Postgres."""

import asyncio
import uuid

import pytest

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
