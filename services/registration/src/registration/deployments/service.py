"""The onboarding status read model: built from provisioning's events, served to ISP admins."""

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from dotmac_contracts.vocabulary import DeploymentState, DeploymentStep
from registration.deployments import repository
from registration.deployments.repository import StepRecord
from registration.deployments.schemas import DeploymentStatus, StepStatus
from registration.isps.service import release_names
from servicekit.problems import NotFound

STEPS = list(DeploymentStep)
SETTLED = {
    DeploymentState.ACTIVE,
    DeploymentState.FAILED,
    DeploymentState.ROLLED_BACK,
    DeploymentState.DELETED,
}
"""States a deployment stays in until someone acts: status streams end there."""

_FAILED_HERE = {DeploymentState.FAILED, DeploymentState.COMPENSATING, DeploymentState.ROLLED_BACK}


async def deployment_status(
    session: AsyncSession | AsyncConnection, isp_id: UUID
) -> DeploymentStatus:
    """Where the ISP's onboarding stands, each step's status worked out from its times."""
    read = await repository.status_rows(session, isp_id)
    if not read:
        raise NotFound(f"No ISP with id {isp_id} is registered.")
    deployment, rows = read[0], {r.step: r for r in read if r.step is not None}
    failed_here = deployment.state in _FAILED_HERE
    steps = []
    for step in STEPS:
        row = rows.get(step.value)
        if row is None or row.started_at is None:
            status = "pending"
        elif row.completed_at is not None:
            status = "completed"
        else:
            status = "failed" if failed_here else "running"
        steps.append(
            StepStatus(
                name=step,
                status=status,
                started_at=row.started_at if row else None,
                completed_at=row.completed_at if row else None,
                detail=row.detail if row else "",
            )
        )
    return DeploymentStatus(
        isp_id=deployment.isp_id,
        deployment_id=deployment.id,
        state=DeploymentState(deployment.state),
        provider=deployment.provider,
        workflow_id=deployment.workflow_id,
        instance_url=deployment.instance_url,
        error=deployment.error,
        created_at=deployment.created_at,
        updated_at=deployment.updated_at,
        steps=steps,
    )


async def advance(
    session: AsyncSession,
    deployment_id: UUID,
    state: DeploymentState,
    at: datetime,
    *,
    steps: Sequence[StepRecord] = (),
    **fields: object,
) -> None:
    """Record `steps`, move the deployment to `state` unless it is already further along
    (events may arrive late), set `fields`, and wake its status streams — one statement."""
    if not await repository.advance(session, deployment_id, state, at, steps=steps, fields=fields):
        # Our own IspRegistered precedes every provisioning event; not finding it is a bug.
        raise LookupError(f"unknown deployment {deployment_id}")


async def set_state_of_isp(
    session: AsyncSession, isp_id: UUID, state: DeploymentState, at: datetime
) -> None:
    """Put the ISP's deployment in `state` (offboarding moves an active ISP on, and back if
    its cancellation is retracted) and wake its status streams."""
    if await repository.set_state_of_isp(session, isp_id, state, at):
        await repository.notify_changed(session, isp_id)


async def offboarding_completed(session: AsyncSession, isp_id: UUID, at: datetime) -> None:
    """The ISP is gone: its deployment is deleted, and its names are free for whoever comes
    next."""
    await set_state_of_isp(session, isp_id, DeploymentState.DELETED, at)
    await release_names(session, isp_id, at)
