"""The onboarding status read model: built from provisioning's events, served to ISP admins."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import ARRAY, String, case, cast, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.vocabulary import DeploymentState, DeploymentStep
from registration.deployments.schemas import DeploymentStatus, StepStatus
from registration.deployments.watch import CHANNEL as CHANGED
from registration.models import Deployment
from registration.models import DeploymentStep as StepRow
from servicekit.problems import NotFound

STEPS = list(DeploymentStep)
# Events may be redelivered late: the state only ever moves forward along this order.
_LIFECYCLE = literal([s.value for s in DeploymentState], ARRAY(String), literal_execute=True)
SETTLED = {
    DeploymentState.ACTIVE,
    DeploymentState.FAILED,
    DeploymentState.ROLLED_BACK,
    DeploymentState.DELETED,
}
"""States a deployment stays in until someone acts: status streams end there."""


async def deployment_status(session: AsyncSession, isp_id: UUID) -> DeploymentStatus:
    deployment = (
        await session.execute(select(Deployment).where(Deployment.isp_id == isp_id))
    ).scalar_one_or_none()
    if deployment is None:
        raise NotFound(f"No ISP with id {isp_id} is registered.")
    rows = {
        r.step: r
        for r in (
            await session.execute(select(StepRow).where(StepRow.deployment_id == deployment.id))
        ).scalars()
    }
    failed_here = deployment.state in (
        DeploymentState.FAILED,
        DeploymentState.COMPENSATING,
        DeploymentState.ROLLED_BACK,
    )
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
    **fields: object,
) -> None:
    """Move the deployment to `state` unless it is already further along (events may arrive
    late), set `fields`, and wake its status streams — one statement."""
    forward = func.array_position(_LIFECYCLE, state.value) >= func.array_position(
        _LIFECYCLE, Deployment.state
    )
    moved = (
        update(Deployment)
        .where(Deployment.id == deployment_id)
        .values(
            state=case((forward, state.value), else_=Deployment.state),
            updated_at=func.greatest(Deployment.updated_at, at),
            **fields,
        )
        .returning(Deployment.isp_id)
        .cte("moved")
    )
    woken = await session.execute(
        select(func.pg_notify(CHANGED, cast(moved.c.isp_id, String))).select_from(moved)
    )
    if woken.first() is None:
        # Our own IspRegistered precedes every provisioning event; not finding it is a bug.
        raise LookupError(f"unknown deployment {deployment_id}")


async def record_step(
    session: AsyncSession,
    deployment_id: UUID,
    step: DeploymentStep,
    *,
    started_at: datetime,
    completed_at: datetime | None = None,
    detail: str = "",
) -> None:
    values = {
        "deployment_id": deployment_id,
        "step": step.value,
        "position": STEPS.index(step),
        "started_at": started_at,
        "completed_at": completed_at,
        "detail": detail,
    }
    update: dict[str, object] = {"started_at": started_at}
    if completed_at is not None:
        update |= {"completed_at": completed_at, "detail": detail}
    await session.execute(
        insert(StepRow)
        .values(**values)
        .on_conflict_do_update(index_elements=[StepRow.deployment_id, StepRow.step], set_=update)
    )


async def set_state_of_isp(
    session: AsyncSession, isp_id: UUID, state: DeploymentState, at: datetime
) -> None:
    """Put the ISP's deployment in `state` (offboarding moves an active ISP on, and back if
    its cancellation is retracted) and wake its status streams."""
    moved = await session.execute(
        update(Deployment)
        .where(Deployment.isp_id == isp_id)
        .values(state=state.value, updated_at=func.greatest(Deployment.updated_at, at))
        .returning(Deployment.isp_id)
    )
    if moved.first() is not None:
        await session.execute(select(func.pg_notify(CHANGED, str(isp_id))))
