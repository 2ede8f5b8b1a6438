"""Stopping background tasks."""

import asyncio
import logging

log = logging.getLogger(__name__)


def stop_if_asked() -> None:
    """Raise CancelledError if the current task was asked to stop, even if a library it called
    swallowed the cancellation (as `asyncio.wait_for` can on Python 3.11). Loops that run until
    cancelled call it once a round, so a lost cancellation ends them at their next round."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def cancel_and_wait(*tasks: asyncio.Task[object], recancel_after_s: float = 1.0) -> None:
    """Cancel `tasks` and wait until each has finished its own cleanup (a listener returning
    its database connection, say), so whatever is torn down next (the pool) finds nothing of
    theirs still in use. Their exceptions, cancellation included, are not raised here.

    A task that is still running a moment later is cancelled again: on Python 3.11,
    `asyncio.wait_for` (which client libraries use inside their waits, NATS's fetch among
    them) can swallow a cancellation that arrives just as what it waits for completes, and the
    task then carries on as if never asked to stop."""
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=recancel_after_s)
        for task in pending:
            log.warning("%s ignored its cancellation; cancelling it again", task.get_name())
    await asyncio.gather(*tasks, return_exceptions=True)
