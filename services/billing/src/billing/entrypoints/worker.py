"""Billing's Temporal worker: the dunning workflow and its activities, and the sender of the
notices billing writes."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from temporalio.worker import Worker

from billing.bootstrap import Billing
from billing.dunning.activities import DunningActivities
from billing.dunning.workflows import DunningWorkflow
from servicekit.mail import MailSender
from servicekit.serving import Role
from servicekit.tasks import cancel_and_wait


@asynccontextmanager
async def running_worker(billing: Billing) -> AsyncIterator[Worker]:
    temporal = await billing.temporal()
    runtime = billing.runtime
    activities = DunningActivities(runtime.db, runtime.outbox, billing.notices, billing.stripe)
    worker = Worker(
        temporal,
        task_queue=billing.settings.task_queue,
        workflows=[DunningWorkflow],
        activities=activities.handlers(),
    )
    sending = runtime.spawn(
        MailSender(runtime.db, billing.mailer, billing.settings.platform).run(), "mail-sender"
    )
    try:
        async with worker:
            yield worker
    finally:
        await cancel_and_wait(sending)


def role(billing: Billing) -> Role:
    return Role(running=lambda: running_worker(billing))
