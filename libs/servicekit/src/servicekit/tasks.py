"""Stopping background tasks."""

import asyncio


async def cancel_and_wait(*tasks: asyncio.Task[object]) -> None:
    """Cancel `tasks` and wait until each has finished its own cleanup (a listener returning
    its database connection, say), so whatever is torn down next (the pool) finds nothing of
    theirs still in use. Their exceptions, cancellation included, are not raised here."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
