"""Stopping background tasks, including one that swallows its first cancellation (as
`asyncio.wait_for` on Python 3.11 can, inside client libraries)."""

import asyncio
import time

from servicekit.tasks import cancel_and_wait


async def test_a_task_that_swallows_its_cancellation_is_cancelled_again():
    cleaned_up = []

    async def stubborn() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            pass  # swallowed: carries on as if never asked to stop
        try:
            await asyncio.sleep(30)
        finally:
            cleaned_up.append("stubborn")

    async def polite() -> None:
        try:
            await asyncio.sleep(30)
        finally:
            await asyncio.sleep(0.01)  # cleanup that takes a moment
            cleaned_up.append("polite")

    tasks = [asyncio.create_task(stubborn()), asyncio.create_task(polite())]
    await asyncio.sleep(0)
    started = time.perf_counter()
    await asyncio.wait_for(cancel_and_wait(*tasks, recancel_after_s=0.1), 5)
    assert time.perf_counter() - started < 2
    assert sorted(cleaned_up) == ["polite", "stubborn"]
    assert all(task.done() for task in tasks)


async def test_finished_tasks_and_no_tasks_return_at_once():
    done = asyncio.create_task(asyncio.sleep(0))
    await done
    await asyncio.wait_for(cancel_and_wait(done), 1)
    await asyncio.wait_for(cancel_and_wait(), 1)


async def test_a_loop_that_lost_its_cancellation_stops_at_its_next_round():
    from servicekit.tasks import stop_if_asked

    rounds = []

    async def consumer_loop() -> None:
        while True:
            stop_if_asked()
            rounds.append(1)
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                pass  # a library swallowed it

    task = asyncio.create_task(consumer_loop())
    await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 1)
    assert task.cancelled()
    assert len(rounds) == 1, "it stopped at the round after the one that swallowed the cancel"
