"""The onboarding's activities. Each is idempotent: it may run again after a worker crash or a
timeout, finds its own earlier work (rows, routes, tenants) and does not repeat it or its events."""

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from dotmac_contracts.events import (
    DeploymentCompleted,
    DeploymentFailed,
    DeploymentRolledBack,
    DeploymentStepCompleted,
    DeploymentStepStarted,
)
from dotmac_contracts.vocabulary import DeploymentState, DeploymentStep
from provisioning.clients.tenant_api import TenantApi
from provisioning.errors import ConfigurationError
from provisioning.models import Deployment, Instance
from provisioning.models import DeploymentStep as StepRow
from provisioning.onboarding.messages import (
    Onboarding,
    OnboardingResult,
    RollbackDone,
    StepFailure,
    StepRun,
)
from provisioning.providers import InstanceInfo, Provider
from servicekit.db import Database
from servicekit.outbox import Outbox


def _now() -> datetime:
    return datetime.now(UTC)


class OnboardingActivities:
    def __init__(
        self, *, db: Database, outbox: Outbox, providers: dict[str, Provider], tenants: TenantApi
    ) -> None:
        self._db = db
        self._outbox = outbox
        self._providers = providers
        self._tenants = tenants

    def _provider(self, onboarding: Onboarding) -> Provider:
        provider = self._providers.get(onboarding.provider)
        if provider is None:
            raise ConfigurationError(
                f"provider {onboarding.provider!r} is not configured on this platform"
            )
        return provider

    @activity.defn
    async def run_step(self, run: StepRun) -> str:
        """Do one onboarding step, publishing its start and its completion once each."""
        step, onboarding = DeploymentStep(run.step), run.onboarding
        try:
            started_at = await self._mark_started(onboarding, step)
            detail = await self._perform(onboarding, step)
        except ConfigurationError as error:
            raise ApplicationError(
                str(error), type="ConfigurationError", non_retryable=True
            ) from error
        await self._mark_completed(onboarding, step, started_at, detail)
        return detail

    async def _perform(self, onboarding: Onboarding, step: DeploymentStep) -> str:
        provider = self._provider(onboarding)
        isp_id = UUID(onboarding.isp_id)
        if step is DeploymentStep.PROVISIONING:
            info = await provider.provision(onboarding)
            await self._record_instance(onboarding, info)
            return info.detail
        instance = await self._instance(isp_id)
        match step:
            case DeploymentStep.DEPLOYING:
                return await provider.deploy(onboarding, instance)
            case DeploymentStep.CONFIGURING:
                return await provider.configure(onboarding, instance)
            case DeploymentStep.INITIALIZING:
                await self._tenants.put_tenant(
                    isp_id,
                    slug=onboarding.slug,
                    name=onboarding.company_name,
                    tier=onboarding.tier,
                    host=instance.host,
                )
                return f"Tenant {onboarding.slug} created in the ISP framework"
            case DeploymentStep.VALIDATING:
                return await provider.validate(onboarding, instance)
        raise AssertionError(step)

    @activity.defn
    async def undo_step(self, run: StepRun) -> bool:
        """Compensate one step. Returns whether there was anything to undo."""
        step, onboarding = DeploymentStep(run.step), run.onboarding
        isp_id = UUID(onboarding.isp_id)
        async with self._db.unit_of_work() as session:
            row = await session.get(Instance, isp_id)
            instance = InstanceInfo(row.host, row.url, "") if row else None
        if instance is None:
            return False
        provider = self._provider(onboarding)
        match step:
            case DeploymentStep.INITIALIZING:
                await self._tenants.delete(isp_id)
            case DeploymentStep.CONFIGURING:
                await provider.unconfigure(onboarding, instance)
            case DeploymentStep.PROVISIONING:
                await provider.deprovision(onboarding, instance)
                async with self._db.unit_of_work() as session:
                    await session.execute(delete(Instance).where(Instance.isp_id == isp_id))
            case _:
                return False
        return True

    @activity.defn
    async def complete(self, onboarding: Onboarding) -> OnboardingResult:
        isp_id = UUID(onboarding.isp_id)
        await self._tenants.activate(isp_id)
        async with self._db.unit_of_work() as session:
            deployment = await self._deployment(session, onboarding)
            instance = await session.get(Instance, isp_id)
            url = instance.url if instance else ""
            if deployment.state != DeploymentState.ACTIVE:
                deployment.state = DeploymentState.ACTIVE.value
                deployment.updated_at = _now()
                await self._outbox.add(
                    session,
                    DeploymentCompleted(
                        deployment_id=deployment.id,
                        isp_id=isp_id,
                        instance_url=url,
                        completed_at=deployment.updated_at,
                    ),
                )
        return OnboardingResult(isp_id=onboarding.isp_id, instance_url=url)

    @activity.defn
    async def report_failure(self, failure: StepFailure) -> None:
        onboarding = failure.onboarding
        async with self._db.unit_of_work() as session:
            deployment = await self._deployment(session, onboarding)
            if deployment.state in (DeploymentState.FAILED, DeploymentState.ROLLED_BACK):
                return
            deployment.state = DeploymentState.FAILED.value
            deployment.error = failure.reason
            deployment.updated_at = _now()
            await self._outbox.add(
                session,
                DeploymentFailed(
                    deployment_id=deployment.id,
                    isp_id=deployment.isp_id,
                    step=DeploymentStep(failure.step),
                    reason=failure.reason,
                    retryable=failure.retryable,
                    compensating=failure.compensating,
                    failed_at=deployment.updated_at,
                ),
            )

    @activity.defn
    async def report_rolled_back(self, done: RollbackDone) -> None:
        async with self._db.unit_of_work() as session:
            deployment = await self._deployment(session, done.onboarding)
            if deployment.state == DeploymentState.ROLLED_BACK:
                return
            deployment.state = DeploymentState.ROLLED_BACK.value
            deployment.updated_at = _now()
            await self._outbox.add(
                session,
                DeploymentRolledBack(
                    deployment_id=deployment.id,
                    isp_id=deployment.isp_id,
                    undone=done.undone,
                    rolled_back_at=deployment.updated_at,
                ),
            )

    async def _deployment(self, session: AsyncSession, onboarding: Onboarding) -> Deployment:
        deployment = await session.get(
            Deployment, UUID(onboarding.deployment_id), with_for_update=True
        )
        if deployment is None:
            raise ApplicationError(
                f"deployment {onboarding.deployment_id} is not recorded", non_retryable=True
            )
        return deployment

    async def _mark_started(self, onboarding: Onboarding, step: DeploymentStep) -> datetime:
        async with self._db.unit_of_work() as session:
            deployment = await self._deployment(session, onboarding)
            row = await session.get(StepRow, (deployment.id, step.value))
            if row is not None:
                return row.started_at
            now = _now()
            session.add(StepRow(deployment_id=deployment.id, step=step.value, started_at=now))
            deployment.state, deployment.updated_at = step.value, now
            await self._outbox.add(
                session,
                DeploymentStepStarted(
                    deployment_id=deployment.id, isp_id=deployment.isp_id, step=step, started_at=now
                ),
            )
            return now

    async def _mark_completed(
        self, onboarding: Onboarding, step: DeploymentStep, started_at: datetime, detail: str
    ) -> None:
        async with self._db.unit_of_work() as session:
            deployment = await self._deployment(session, onboarding)
            row = await session.get(StepRow, (deployment.id, step.value), with_for_update=True)
            if row is None or row.completed_at is not None:
                return
            row.completed_at, row.detail = _now(), detail
            deployment.updated_at = row.completed_at
            await self._outbox.add(
                session,
                DeploymentStepCompleted(
                    deployment_id=deployment.id,
                    isp_id=deployment.isp_id,
                    step=step,
                    started_at=started_at,
                    completed_at=row.completed_at,
                    detail=detail,
                ),
            )

    async def _record_instance(self, onboarding: Onboarding, info: InstanceInfo) -> None:
        async with self._db.unit_of_work() as session:
            if await session.get(Instance, UUID(onboarding.isp_id)) is None:
                session.add(
                    Instance(
                        isp_id=UUID(onboarding.isp_id),
                        deployment_id=UUID(onboarding.deployment_id),
                        provider=onboarding.provider,
                        host=info.host,
                        url=info.url,
                        created_at=_now(),
                    )
                )

    async def _instance(self, isp_id: UUID) -> InstanceInfo:
        async with self._db.unit_of_work() as session:
            row = (
                await session.execute(select(Instance).where(Instance.isp_id == isp_id))
            ).scalar_one_or_none()
        if row is None:
            raise ApplicationError(f"no instance recorded for ISP {isp_id}", non_retryable=True)
        return InstanceInfo(row.host, row.url, "")
