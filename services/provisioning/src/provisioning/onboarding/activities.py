"""The onboarding's activities. Each is idempotent: it may run again after a worker crash or a
timeout, finds its own earlier work (rows, routes, tenants) and does not repeat it or its events.

Each records what it did in one transaction of its own, through the onboarding's `service`.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from uuid import UUID

from temporalio import activity
from temporalio.exceptions import ApplicationError

from dotmac_contracts.vocabulary import DeploymentStep
from provisioning.clients.tenant_api import TenantApi
from provisioning.errors import ConfigurationError
from provisioning.onboarding import service
from provisioning.onboarding.messages import (
    InstanceRef,
    Onboarding,
    RollbackDone,
    StepFailure,
    StepOutcome,
    StepRun,
)
from provisioning.providers import InstanceInfo
from provisioning.providers import Provider as CloudProvider
from servicekit.db import Database
from servicekit.outbox import Outbox

HEARTBEAT_EVERY_S = 10.0
"""Well within the workflow's HEARTBEAT_TIMEOUT."""


def _now() -> datetime:
    return datetime.now(UTC)


@asynccontextmanager
async def heartbeating() -> AsyncIterator[None]:
    """While the block runs, tell Temporal every HEARTBEAT_EVERY_S that this (regular) activity
    is alive: a step waiting minutes for a cloud is then told from one whose worker died.
    Local activities cannot heartbeat (their worker is the workflow's)."""
    if activity.info().is_local:
        yield
        return

    async def beat() -> None:
        while True:
            activity.heartbeat()
            await asyncio.sleep(HEARTBEAT_EVERY_S)

    beating = asyncio.create_task(beat())
    try:
        yield
    finally:
        beating.cancel()
        await asyncio.gather(beating, return_exceptions=True)


class OnboardingActivities:
    def __init__(
        self,
        *,
        db: Database,
        outbox: Outbox,
        providers: dict[str, CloudProvider],
        tenants: TenantApi,
    ) -> None:
        self._db = db
        self._outbox = outbox
        self._providers = providers
        self._tenants = tenants

    def handlers(self) -> list[Callable[..., Awaitable[object]]]:
        """Every activity of this class, for a worker to register."""
        return [
            self.run_step,
            self.undo_step,
            self.report_failure,
            self.report_rolled_back,
        ]

    def _provider(self, onboarding: Onboarding) -> CloudProvider:
        provider = self._providers.get(onboarding.provider)
        if provider is None:
            raise ConfigurationError(
                f"provider {onboarding.provider!r} is not configured on this platform"
            )
        return provider

    @activity.defn
    async def run_step(self, run: StepRun) -> StepOutcome:
        """Do one onboarding step, publishing its completion once.

        The bookkeeping is one transaction per step: the first step's start is recorded (and
        announced) with the deployment itself, every completion together with the start of the
        step after it (`run.next_step`), so the status never shows a gap between two steps, and
        the last one's with the deployment's completion.
        """
        step, onboarding = DeploymentStep(run.step), run.onboarding
        try:
            if step is DeploymentStep.PROVISIONING:
                await self._begin(onboarding, step)
            async with heartbeating():
                outcome = await self._perform(run, step)
        except ConfigurationError as error:
            raise ApplicationError(
                str(error), type="ConfigurationError", non_retryable=True
            ) from error
        following = DeploymentStep(run.next_step) if run.next_step else None
        placed = outcome.instance if step is DeploymentStep.PROVISIONING else None
        await self._mark_completed(run, step, outcome.detail, following, placed)
        return outcome

    async def _perform(self, run: StepRun, step: DeploymentStep) -> StepOutcome:
        onboarding = run.onboarding
        provider = self._provider(onboarding)
        if step is DeploymentStep.PROVISIONING:
            info = await provider.provision(onboarding)
            return StepOutcome(info.detail, InstanceRef(info.host, info.url))
        if run.instance is None:
            raise ApplicationError(
                f"{step.value} needs the provisioned instance", non_retryable=True
            )
        instance = InstanceInfo(run.instance.host, run.instance.url, "")
        match step:
            case DeploymentStep.DEPLOYING:
                return StepOutcome(await provider.deploy(onboarding, instance))
            case DeploymentStep.CONFIGURING:
                return StepOutcome(await provider.configure(onboarding, instance))
            case DeploymentStep.INITIALIZING:
                await self._tenants.put_tenant(
                    UUID(onboarding.isp_id),
                    slug=onboarding.slug,
                    name=onboarding.company_name,
                    tier=onboarding.tier,
                    host=instance.host,
                    owner_name=onboarding.contact_name,
                    owner_email=onboarding.contact_email,
                )
                return StepOutcome(f"Tenant {onboarding.slug} created in the ISP framework")
            case DeploymentStep.VALIDATING:
                return StepOutcome(await provider.validate(onboarding, instance))
            case DeploymentStep.WELCOMING:
                # Opening the tenant queues the owner's welcome in its own transaction (once,
                # however often this runs): the instance URL and a one-time sign-in link.
                await self._tenants.activate(UUID(onboarding.isp_id))
                return StepOutcome(
                    f"Welcome email to {onboarding.contact_email} sent with the sign-in link "
                    f"for {instance.url}"
                )
        raise AssertionError(step)

    @activity.defn
    async def undo_step(self, run: StepRun) -> bool:
        """Compensate one step. Returns whether the step is one that leaves something to undo.

        Each compensation finds its work from the onboarding alone, so it also removes what a
        step made before failing half-way."""
        step, onboarding = DeploymentStep(run.step), run.onboarding
        async with heartbeating():
            return await self._undo(step, onboarding)

    async def _undo(self, step: DeploymentStep, onboarding: Onboarding) -> bool:
        isp_id = UUID(onboarding.isp_id)
        provider = self._providers.get(onboarding.provider)
        if provider is None:  # never configured here, so it made nothing
            return False
        match step:
            case DeploymentStep.INITIALIZING:
                if onboarding.from_demo:
                    return False  # the converted demo's tenant and data stay the prospect's
                await self._tenants.delete(isp_id)
            case DeploymentStep.CONFIGURING:
                await provider.unconfigure(onboarding)
            case DeploymentStep.PROVISIONING:
                await provider.deprovision(onboarding)
                async with self._db.unit_of_work() as session:
                    await service.forget_instance(session, onboarding)
            case _:
                return False
        return True

    @activity.defn
    async def report_failure(self, failure: StepFailure) -> None:
        now = _now()
        async with self._db.unit_of_work() as session:
            await service.fail(session, self._outbox, failure, now=now)

    @activity.defn
    async def report_rolled_back(self, done: RollbackDone) -> None:
        now = _now()
        async with self._db.unit_of_work() as session:
            await service.roll_back(session, self._outbox, done, now=now)

    async def _begin(self, onboarding: Onboarding, first: DeploymentStep) -> None:
        """The deployment's record and its first step's start, created by the first step (so
        they exist, committed, before anything refers to them), announced once."""
        workflow_id, now = activity.info().workflow_id, _now()
        assert workflow_id is not None  # the onboarding's activities run in its workflow
        async with self._db.unit_of_work() as session:
            await service.begin(
                session, self._outbox, onboarding, first, workflow_id=workflow_id, now=now
            )

    async def _mark_completed(
        self,
        run: StepRun,
        step: DeploymentStep,
        detail: str,
        following: DeploymentStep | None,
        placed: InstanceRef | None = None,
    ) -> None:
        """Record the step's end with the next step's start, or, after the last step, with the
        deployment's completion, and the instance the step `placed` (for compensations to
        find): one transaction, whose events say so once."""
        now = _now()
        async with self._db.unit_of_work() as session:
            await service.complete_step(
                session, self._outbox, run, step, detail, following, placed, now=now
            )
