"""The SQL on deployments, their steps and instances, for the onboarding and the offboarding.

The onboarding's bookkeeping is a few single statements per transaction (insert-or-nothing,
update-where), because it runs twice per step for every ISP being onboarded at once: those
statements are built once, at import or the first time they are needed.
"""

from datetime import datetime
from functools import cache
from typing import NamedTuple
from uuid import UUID

from sqlalchemy import bindparam, delete, exists, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from provisioning.models import Deployment, Instance
from provisioning.models import DeploymentStep as StepRow
from servicekit.db import param, table_of

_deployments, _steps, _instances = table_of(Deployment), table_of(StepRow), table_of(Instance)


@cache  # one per set of fields, built the first time it is needed
def _move_statement(fields: tuple[str, ...]) -> Executable:
    """UPDATE the deployment to `:to_state` unless it is there already, setting `fields`
    (bound as `set_<field>`: an UPDATE's parameters may not bear its columns' names)."""
    d = _deployments
    to_state = bindparam("to_state", type_=d.c.state.type)
    return (
        update(d)
        .where(d.c.id == bindparam("deployment_id"), d.c.state != to_state)
        .values(
            state=to_state,
            updated_at=bindparam("at", type_=d.c.updated_at.type),
            **{name: bindparam(f"set_{name}", type_=d.c[name].type) for name in fields},
        )
        .returning(d.c.id)
    )


_START_STEP = (
    insert(_steps)
    .values(
        deployment_id=param(_steps.c.deployment_id),
        step=param(_steps.c.step),
        started_at=param(_steps.c.started_at),
        detail="",
    )
    .on_conflict_do_nothing()
)


def _complete_statement(last: bool) -> Executable:
    """One round trip for a step's end: record it, begin the next step (`:next_step`) or,
    after the last, mark the deployment active, and move the deployment's state to
    `:to_state` — each only if this is the first time the step ends. Returns the step's start
    and whether the state moved; no row if an earlier attempt recorded it all."""
    at = bindparam("at", type_=_steps.c.completed_at.type)
    deployment = bindparam("of_deployment", type_=_steps.c.deployment_id.type)
    to_state = bindparam("to_state", type_=_deployments.c.state.type)
    completed = (
        update(_steps)
        .where(
            _steps.c.deployment_id == deployment,
            _steps.c.step == bindparam("of_step"),
            _steps.c.completed_at.is_(None),
        )
        .values(completed_at=at, detail=bindparam("set_detail", type_=_steps.c.detail.type))
        .returning(_steps.c.started_at)
        .cte("completed")
    )
    moved = (
        update(_deployments)
        .where(
            _deployments.c.id == deployment,
            _deployments.c.state != to_state,
            exists(select(completed.c.started_at)),
        )
        .values(state=to_state, updated_at=at)
        .returning(_deployments.c.id)
        .cte("moved")
    )
    statement = select(completed.c.started_at, exists(select(moved.c.id)).label("moved"))
    if not last:
        started = (
            insert(_steps)
            .from_select(
                ["deployment_id", "step", "started_at", "detail"],
                select(
                    deployment,
                    bindparam("next_step", type_=_steps.c.step.type),
                    at,
                    literal(""),
                ).where(exists(select(completed.c.started_at))),
            )
            .on_conflict_do_nothing()
            .cte("started")
        )
        statement = statement.add_cte(started)
    return statement


_COMPLETE_STEP, _COMPLETE_LAST_STEP = _complete_statement(False), _complete_statement(True)
_RECORD_INSTANCE = (
    insert(_instances)
    .values({c.key: param(c) for c in _instances.c})
    .on_conflict_do_nothing(index_elements=[_instances.c.isp_id])
)


class CompletedStep(NamedTuple):
    started_at: datetime
    moved: bool
    """Whether the deployment's state moved with the step's end."""


async def create_deployment(
    session: AsyncSession,
    *,
    deployment_id: UUID,
    isp_id: UUID,
    slug: str,
    company_name: str,
    tier: str,
    region: str,
    provider: str,
    domain: str,
    contact_email: str,
    workflow_id: str,
    state: str,
    at: datetime,
) -> bool:
    """Insert the deployment unless it exists. True if this call created it."""
    created = await session.execute(
        insert(Deployment)
        .values(
            id=deployment_id,
            isp_id=isp_id,
            slug=slug,
            company_name=company_name,
            tier=tier,
            region=region,
            provider=provider,
            domain=domain,
            contact_email=contact_email,
            workflow_id=workflow_id,
            state=state,
            created_at=at,
            updated_at=at,
        )
        .on_conflict_do_nothing()
        .returning(Deployment.id)
    )
    return created.first() is not None


async def move_deployment(
    session: AsyncSession,
    deployment_id: UUID,
    state: str,
    at: datetime,
    *,
    error: str | None = None,
) -> bool:
    """Put the deployment in `state` unless it is there already, with `error` if one is given
    (else its error stays as it was). True if it moved."""
    fields = {"error": error} if error is not None else {}
    moved = await session.execute(
        _move_statement(tuple(sorted(fields))),
        {
            "deployment_id": deployment_id,
            "to_state": state,
            "at": at,
            **{f"set_{name}": value for name, value in fields.items()},
        },
    )
    return moved.first() is not None


async def set_state_of_isp(session: AsyncSession, isp_id: UUID, state: str, at: datetime) -> None:
    """Put the ISP's deployment in `state`, whatever it was in."""
    await session.execute(
        update(Deployment).where(Deployment.isp_id == isp_id).values(state=state, updated_at=at)
    )


async def deployment_of_isp(session: AsyncSession, isp_id: UUID) -> Deployment | None:
    return (
        await session.execute(select(Deployment).where(Deployment.isp_id == isp_id))
    ).scalar_one_or_none()


async def start_step(session: AsyncSession, deployment_id: UUID, step: str, at: datetime) -> None:
    """Record that the deployment's `step` began `at`, unless it is recorded already."""
    await session.execute(
        _START_STEP, {"deployment_id": deployment_id, "step": step, "started_at": at}
    )


async def complete_step(
    session: AsyncSession,
    deployment_id: UUID,
    step: str,
    at: datetime,
    *,
    detail: str,
    next_step: str | None,
    to_state: str,
) -> CompletedStep | None:
    """Record the step's end with `detail`, the start of `next_step` (None after the last
    step) and the deployment's move to `to_state`, in one statement. None if an earlier
    attempt recorded the step's end (and all that came with it)."""
    completed = (
        await session.execute(
            _COMPLETE_STEP if next_step is not None else _COMPLETE_LAST_STEP,
            {
                "of_deployment": deployment_id,
                "of_step": step,
                "at": at,
                "set_detail": detail,
                "next_step": next_step,
                "to_state": to_state,
            },
        )
    ).first()
    return None if completed is None else CompletedStep(completed.started_at, completed.moved)


async def record_instance(
    session: AsyncSession,
    *,
    isp_id: UUID,
    deployment_id: UUID,
    provider: str,
    host: str,
    url: str,
    at: datetime,
) -> None:
    """Record the ISP's instance, unless one is recorded already."""
    await session.execute(
        _RECORD_INSTANCE,
        {
            "isp_id": isp_id,
            "deployment_id": deployment_id,
            "provider": provider,
            "host": host,
            "url": url,
            "created_at": at,
        },
    )


async def instance_url_of_isp(session: AsyncSession, isp_id: UUID) -> str | None:
    return await session.scalar(select(Instance.url).where(Instance.isp_id == isp_id))


async def delete_instance_of_isp(session: AsyncSession, isp_id: UUID) -> None:
    await session.execute(delete(Instance).where(Instance.isp_id == isp_id))
