"""The dunning workflow alone, on Temporal's time-skipping test server (weeks pass in moments),
its activities stubbed under the same names: the retries on days 1, 3 and 7, the suspension on
day 14, the cancellation on day 21; a payment at any point ends it at once."""

import uuid
from datetime import datetime

import pytest
from temporalio import activity
from temporalio.worker import Worker

from billing.dunning.messages import Dunning, Timeline
from billing.dunning.workflows import DunningWorkflow, workflow_id

pytestmark = pytest.mark.integration


class Stubs:
    def __init__(self) -> None:
        self.calls: list[tuple[str, datetime]] = []

    def _record(self, name: str) -> None:
        self.calls.append((name, activity.info().scheduled_time))

    @activity.defn(name="retry_payment")
    async def retry_payment(self, isp_id: str) -> None:
        self._record("retry_payment")

    @activity.defn(name="suspend_account")
    async def suspend_account(self, isp_id: str) -> None:
        self._record("suspend_account")

    @activity.defn(name="cancel_account")
    async def cancel_account(self, isp_id: str) -> None:
        self._record("cancel_account")


def days_of(calls, started):
    return [(name, round((at - started).total_seconds() / 86400)) for name, at in calls]


async def test_unpaid_it_retries_then_suspends_then_cancels(env):
    stubs, queue = Stubs(), f"dunning-{uuid.uuid4()}"
    isp = str(uuid.uuid4())
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[DunningWorkflow],
        activities=[stubs.retry_payment, stubs.suspend_account, stubs.cancel_account],
    ):
        started = await env.get_current_time()
        outcome = await env.client.execute_workflow(
            DunningWorkflow.run, Dunning(isp), id=workflow_id(isp), task_queue=queue
        )
    assert days_of(stubs.calls, started) == [
        ("retry_payment", 1),
        ("retry_payment", 3),
        ("retry_payment", 7),
        ("suspend_account", 14),
        ("cancel_account", 21),
    ]
    assert (outcome.ended, round(outcome.day), outcome.retries) == ("cancelled", 21, 3)


@pytest.mark.parametrize(("paid_on", "done_before"), [(2, 1), (10, 3), (17, 4)])
async def test_a_payment_at_any_point_ends_it_at_once(env, paid_on, done_before):
    """Paid on day 2 (after one retry), 10 (after three) or 17 (while suspended): nothing more
    is chased."""
    stubs, queue = Stubs(), f"dunning-{uuid.uuid4()}"
    isp = str(uuid.uuid4())
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[DunningWorkflow],
        activities=[stubs.retry_payment, stubs.suspend_account, stubs.cancel_account],
    ):
        handle = await env.client.start_workflow(
            DunningWorkflow.run, Dunning(isp), id=workflow_id(isp), task_queue=queue
        )
        await env.sleep(paid_on * 86400)
        await handle.signal(DunningWorkflow.settled)
        outcome = await handle.result()
    assert len(stubs.calls) == done_before
    assert "cancel_account" not in [name for name, _ in stubs.calls]
    assert outcome.ended == "settled" and round(outcome.day) == paid_on


async def test_the_timeline_is_configuration(env):
    stubs, queue = Stubs(), f"dunning-{uuid.uuid4()}"
    isp = str(uuid.uuid4())
    quick = Timeline(retry_days=[2], suspend_day=5, cancel_day=6)
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[DunningWorkflow],
        activities=[stubs.retry_payment, stubs.suspend_account, stubs.cancel_account],
    ):
        started = await env.get_current_time()
        await env.client.execute_workflow(
            DunningWorkflow.run, Dunning(isp, quick), id=workflow_id(isp), task_queue=queue
        )
    assert days_of(stubs.calls, started) == [
        ("retry_payment", 2),
        ("suspend_account", 5),
        ("cancel_account", 6),
    ]
