"""Postgres LISTEN on one channel, for as long as the process runs, reconnecting when the
connection drops. NOTIFY is delivered on commit, so a listener hears only committed changes."""

import asyncio
import logging
from collections.abc import Callable

from servicekit.db import Database

log = logging.getLogger(__name__)


async def listen(db: Database, channel: str, on_notify: Callable[[str], None]) -> None:
    """Call `on_notify(payload)` for every NOTIFY on `channel`. Runs until cancelled."""
    while True:
        try:
            async with db.engine.connect() as conn:
                raw = await conn.get_raw_connection()
                driver = raw.driver_connection
                assert driver is not None, "an open connection has a driver connection"
                await driver.add_listener(channel, lambda *args: on_notify(args[-1]))
                while not driver.is_closed():
                    await asyncio.sleep(1.0)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("lost the LISTEN connection for %s; retrying", channel)
            await asyncio.sleep(1.0)
