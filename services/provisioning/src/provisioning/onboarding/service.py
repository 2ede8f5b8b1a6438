"""The onboarding's bookkeeping: a deployment begun, each step's end, its failure and rollback
recorded in the caller's transaction, each announced once however often it is recorded."""

from datetime import datetime
from uuid import UUID

from prometheus_client import Histogram
from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.events import (
    DeploymentCompleted,
    DeploymentFailed,
    DeploymentRolledBack,
    DeploymentStarted,
    DeploymentStepCompleted,
)
from dotmac_contracts.vocabulary import DeploymentState, DeploymentStep, Provider, Region, Tier
from provisioning.deployments import repository as deployments
from provisioning.onboarding.messages import (
    InstanceRef,
    Onboarding,
    RollbackDone,
    StepFailure,
    StepRun,
)
from servicekit.db import after_commit
from servicekit.outbox import Outbox

STEP_SECONDS = Histogram(
    "dotmac_onboarding_step_duration_seconds",
    "How long each onboarding step took, from its start to its completion",
    ["step"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)


async def begin(
    session: AsyncSession,
    outbox: Outbox,
    onboarding: Onboarding,
    first: DeploymentStep,
    *,
    workflow_id: str,
    now: datetime,
) -> None:
    """The deployment's record and its first step's start, announced once: a retry finds the
    deployment begun and does nothing."""
    created = await deployments.create_deployment(
        session,
        deployment_id=UUID(onboarding.deployment_id),
        isp_id=UUID(onboarding.isp_id),
        slug=onboarding.slug,
        company_name=onboarding.company_name,
        tier=onboarding.tier,
        region=onboarding.region,
        provider=onboarding.provider,
        domain=onboarding.domain,
        contact_email=onboarding.contact_email,
        workflow_id=workflow_id,
        state=first.value,
        at=now,
    )
    if not created:  # a retry: the deployment began earlier
        return
    await deployments.start_step(session, UUID(onboarding.deployment_id), first.value, now)
    await outbox.add(
        session,
        DeploymentStarted(
            deployment_id=UUID(onboarding.deployment_id),
            isp_id=UUID(onboarding.isp_id),
            provider=Provider(onboarding.provider),
            region=Region(onboarding.region),
            tier=Tier(onboarding.tier),
            workflow_id=workflow_id,
            first_step=first,
            started_at=now,
        ),
    )


async def complete_step(
    session: AsyncSession,
    outbox: Outbox,
    run: StepRun,
    step: DeploymentStep,
    detail: str,
    following: DeploymentStep | None,
    placed: InstanceRef | None,
    *,
    now: datetime,
) -> None:
    """Record the step's end with the next step's start, or, after the last step, with the
    deployment's completion, and the instance the step `placed` (for compensations to find),
    announcing each once."""
    onboarding = run.onboarding
    deployment_id, isp_id = UUID(onboarding.deployment_id), UUID(onboarding.isp_id)
    if placed is not None:
        await deployments.record_instance(
            session,
            isp_id=isp_id,
            deployment_id=deployment_id,
            provider=onboarding.provider,
            host=placed.host,
            url=placed.url,
            at=now,
        )
    completed = await deployments.complete_step(
        session,
        deployment_id,
        step.value,
        now,
        detail=detail,
        next_step=following.value if following else None,
        to_state=(following or DeploymentState.ACTIVE).value,
    )
    if completed is None:  # recorded by an earlier attempt, with what followed it
        return
    took = (now - completed.started_at).total_seconds()
    after_commit(session, lambda: STEP_SECONDS.labels(step.value).observe(max(0.0, took)))
    await outbox.add(
        session,
        DeploymentStepCompleted(
            deployment_id=deployment_id,
            isp_id=isp_id,
            step=step,
            started_at=completed.started_at,
            completed_at=now,
            detail=detail,
            next_step=following,
        ),
    )
    if following is None and completed.moved:
        await outbox.add(
            session,
            DeploymentCompleted(
                deployment_id=deployment_id,
                isp_id=isp_id,
                instance_url=run.instance.url if run.instance else "",
                completed_at=now,
            ),
        )


async def forget_instance(session: AsyncSession, onboarding: Onboarding) -> None:
    """The compensation of the provisioning step's record, once the provider removed the
    instance: nothing is left for a later compensation or offboarding to find."""
    await deployments.delete_instance_of_isp(session, UUID(onboarding.isp_id))


async def fail(
    session: AsyncSession, outbox: Outbox, failure: StepFailure, *, now: datetime
) -> None:
    """The deployment failed, for `failure.reason`: recorded and announced once."""
    onboarding = failure.onboarding
    if await deployments.move_deployment(
        session,
        UUID(onboarding.deployment_id),
        DeploymentState.FAILED.value,
        now,
        error=failure.reason,
    ):
        await outbox.add(
            session,
            DeploymentFailed(
                deployment_id=UUID(onboarding.deployment_id),
                isp_id=UUID(onboarding.isp_id),
                step=DeploymentStep(failure.step),
                reason=failure.reason,
                retryable=failure.retryable,
                compensating=failure.compensating,
                failed_at=now,
            ),
        )


async def roll_back(
    session: AsyncSession, outbox: Outbox, done: RollbackDone, *, now: datetime
) -> None:
    """The failed deployment's work is undone (`done.undone`): recorded and announced once.
    The failure's reason stays on the record."""
    onboarding = done.onboarding
    if await deployments.move_deployment(
        session, UUID(onboarding.deployment_id), DeploymentState.ROLLED_BACK.value, now
    ):
        await outbox.add(
            session,
            DeploymentRolledBack(
                deployment_id=UUID(onboarding.deployment_id),
                isp_id=UUID(onboarding.isp_id),
                undone=done.undone,
                rolled_back_at=now,
            ),
        )
