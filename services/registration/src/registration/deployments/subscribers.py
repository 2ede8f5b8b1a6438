"""Provisioning's events, applied to the status read model. Each runs in the consumer's unit of
work next to the inbox record, so a redelivered event changes nothing."""

from dotmac_contracts.events import (
    DeploymentCompleted,
    DeploymentFailed,
    DeploymentRolledBack,
    DeploymentStarted,
    DeploymentStepCompleted,
    OffboardingCompleted,
    OffboardingStarted,
    OffboardingStopped,
)
from dotmac_contracts.vocabulary import DeploymentState
from registration.deployments.service import (
    StepRecord,
    advance,
    offboarding_completed,
    set_state_of_isp,
)
from servicekit.stream import Session


async def on_started(e: DeploymentStarted, session: Session) -> None:
    await advance(
        session,
        e.deployment_id,
        DeploymentState(e.first_step.value),
        e.started_at,
        steps=[StepRecord(e.first_step, e.started_at)],
        provider=e.provider.value,
        workflow_id=e.workflow_id,
    )


async def on_step_completed(e: DeploymentStepCompleted, session: Session) -> None:
    steps = [StepRecord(e.step, e.started_at, e.completed_at, e.detail)]
    if e.next_step is not None:
        steps.append(StepRecord(e.next_step, e.completed_at))
    current = e.next_step or e.step
    await advance(
        session, e.deployment_id, DeploymentState(current.value), e.completed_at, steps=steps
    )


async def on_completed(e: DeploymentCompleted, session: Session) -> None:
    await advance(
        session,
        e.deployment_id,
        DeploymentState.ACTIVE,
        e.completed_at,
        instance_url=e.instance_url,
    )


async def on_failed(e: DeploymentFailed, session: Session) -> None:
    state = DeploymentState.COMPENSATING if e.compensating else DeploymentState.FAILED
    await advance(session, e.deployment_id, state, e.failed_at, error=f"{e.step.value}: {e.reason}")


async def on_rolled_back(e: DeploymentRolledBack, session: Session) -> None:
    await advance(session, e.deployment_id, DeploymentState.ROLLED_BACK, e.rolled_back_at)


async def on_offboarding_started(e: OffboardingStarted, session: Session) -> None:
    await set_state_of_isp(session, e.isp_id, DeploymentState.OFFBOARDING, e.started_at)


async def on_offboarding_stopped(e: OffboardingStopped, session: Session) -> None:
    await set_state_of_isp(session, e.isp_id, DeploymentState.ACTIVE, e.stopped_at)


async def on_offboarding_completed(e: OffboardingCompleted, session: Session) -> None:
    await offboarding_completed(session, e.isp_id, e.completed_at)


SUBSCRIBERS = (
    on_offboarding_started,
    on_offboarding_stopped,
    on_offboarding_completed,
    on_started,
    on_step_completed,
    on_completed,
    on_failed,
    on_rolled_back,
)
