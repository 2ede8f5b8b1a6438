"""Billing's Temporal worker: the dunning workflow and its activities."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from temporalio.worker import Worker

from billing.bootstrap import Billing
from billing.dunning.activities import DunningActivities
from billing.dunning.workflows import DunningWorkflow
from servicekit.serving import Role


@asynccontextmanager
async def running_worker(billing: Billing) -> AsyncIterator[Worker]:
    temporal = await billing.temporal()
    activities = DunningActivities(billing.runtime.db, billing.runtime.outbox, billing.stripe)
    worker = Worker(
        temporal,
        task_queue=billing.settings.task_queue,
        workflows=[DunningWorkflow],
        activities=activities.handlers(),
    )
    async with worker:
        yield worker


def role(billing: Billing) -> Role:
    return Role(running=lambda: running_worker(billing))
