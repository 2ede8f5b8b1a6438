"""Provisioning's Temporal worker: the onboarding, demo and offboarding workflows and their
activities, and the sender of the emails they write."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from temporalio.worker import PollerBehaviorSimpleMaximum, Worker

from provisioning.bootstrap import Provisioning
from provisioning.demos.activities import DemoActivities
from provisioning.demos.workflows import DemoLifecycleWorkflow
from provisioning.models import mail_outbox
from provisioning.offboarding.activities import OffboardingActivities
from provisioning.offboarding.workflows import OffboardIspWorkflow
from provisioning.onboarding.activities import OnboardingActivities
from provisioning.onboarding.workflows import OnboardIspWorkflow
from provisioning.providers.local import LocalProvider
from servicekit.mail import Mailer, MailSender
from servicekit.serving import Role
from servicekit.tasks import cancel_and_wait

WORKFLOWS = [OnboardIspWorkflow, DemoLifecycleWorkflow, OffboardIspWorkflow]


@asynccontextmanager
async def running_worker(provisioning: Provisioning) -> AsyncIterator[Worker]:
    """The worker on the service's task queue, until the block ends. Within the runtime's
    `running()`."""
    runtime, settings = provisioning.runtime, provisioning.settings
    temporal = await provisioning.temporal()
    async with provisioning.http() as http:
        tenants = provisioning.tenant_api(http)
        providers = provisioning.providers(http, tenants)
        local = providers["local"]
        assert isinstance(local, LocalProvider)
        mailer = Mailer(mail_outbox)
        onboarding = OnboardingActivities(
            db=runtime.db, outbox=runtime.outbox, providers=providers, tenants=tenants
        )
        demos = DemoActivities(
            db=runtime.db, outbox=runtime.outbox, mailer=mailer, tenants=tenants, serving=local
        )
        offboarding = OffboardingActivities(
            db=runtime.db,
            outbox=runtime.outbox,
            mailer=mailer,
            providers=providers,
            tenants=tenants,
        )
        worker = Worker(
            temporal,
            task_queue=settings.task_queue,
            workflow_task_poller_behavior=PollerBehaviorSimpleMaximum(
                settings.workflow_task_pollers
            ),
            nonsticky_to_sticky_poll_ratio=0.5,
            workflows=WORKFLOWS,
            activities=[*onboarding.handlers(), *demos.handlers(), *offboarding.handlers()],
        )
        sending = runtime.spawn(
            MailSender(runtime.db, mailer, settings.platform).run(), "mail-sender"
        )
        try:
            async with worker:
                yield worker
        finally:
            await cancel_and_wait(sending)


def role(provisioning: Provisioning) -> Role:
    return Role(running=lambda: running_worker(provisioning))
