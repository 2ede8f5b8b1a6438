"""Deployments' SQL: the onboarding status read model, written from provisioning's events.

It is written for every step of every onboarding and read by every status stream after each
write, so its statements are built once, with bound parameters: building a statement and
computing its cache key costs more CPU than running it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

from sqlalchemy import ARRAY, Row, String, bindparam, case, cast, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import Executable
from sqlalchemy.sql.selectable import CTE

from dotmac_contracts.vocabulary import DeploymentState, DeploymentStep
from registration.deployments.watch import CHANNEL as CHANGED
from registration.models import Deployment
from registration.models import DeploymentStep as StepRow
from servicekit.db import table_of

_deployments, _steps = table_of(Deployment), table_of(StepRow)
_READ_STATUS = (  # one row per recorded step (one row with no step before the first starts)
    select(
        _deployments,
        _steps.c.step,
        _steps.c.started_at,
        _steps.c.completed_at,
        _steps.c.detail,
    )
    .outerjoin(_steps, _steps.c.deployment_id == _deployments.c.id)
    .where(_deployments.c.isp_id == bindparam("isp_id"))
)
_POSITION = {step: i for i, step in enumerate(DeploymentStep)}
"""Where each step comes in an onboarding."""

# Events may be redelivered late: the state only ever moves forward along this order.
_LIFECYCLE = bindparam(
    "lifecycle", [s.value for s in DeploymentState], type_=ARRAY(String), literal_execute=False
)


@dataclass(frozen=True)
class StepRecord:
    """A step's times as an event reports them, written with the state they move."""

    step: DeploymentStep
    started_at: datetime
    completed_at: datetime | None = None
    detail: str = ""


def _recorded(i: int, completed: bool) -> CTE:
    """INSERT-or-UPDATE of the step record `i` (bound as `<column>_<i>`)."""
    values = insert(_steps).values(
        deployment_id=bindparam("deployment_id"),
        **{
            name: bindparam(f"{name}_{i}", type_=_steps.c[name].type)
            for name in ("step", "position", "started_at", "completed_at", "detail")
        },
    )
    update_ = {"started_at": values.excluded.started_at}
    if completed:
        update_ |= {"completed_at": values.excluded.completed_at, "detail": values.excluded.detail}
    return values.on_conflict_do_update(
        index_elements=[_steps.c.deployment_id, _steps.c.step], set_=update_
    ).cte(f"recorded_{i}")


@cache  # one per shape, built the first time it is needed
def _advance_statement(fields: tuple[str, ...], records: tuple[bool, ...]) -> Executable:
    """Write the step records (`records`: whether each one is a step's end), UPDATE the
    deployment to `:to_state` unless it is further along, set `fields` (bound as `set_<field>`:
    an UPDATE's parameters may not bear its columns' names), and NOTIFY its status streams.
    One statement, so one round trip."""
    d = _deployments
    to_state = bindparam("to_state", type_=d.c.state.type)
    forward = func.array_position(_LIFECYCLE, to_state) >= func.array_position(
        _LIFECYCLE, d.c.state
    )
    moved = (
        update(d)
        .where(d.c.id == bindparam("deployment_id"))
        .values(
            state=case((forward, to_state), else_=d.c.state),
            updated_at=func.greatest(d.c.updated_at, bindparam("at", type_=d.c.updated_at.type)),
            **{name: bindparam(f"set_{name}", type_=d.c[name].type) for name in fields},
        )
        .returning(d.c.isp_id)
        .cte("moved")
    )
    statement = select(func.pg_notify(CHANGED, cast(moved.c.isp_id, String))).select_from(moved)
    for i, completed in enumerate(records):
        statement = statement.add_cte(_recorded(i, completed))
    return statement


async def status_rows(
    session: AsyncSession | AsyncConnection, isp_id: UUID
) -> Sequence[Row[*tuple[Any, ...]]]:
    """The ISP's deployment, one row per recorded step (one row with no step before the first
    starts); no rows if no ISP has this id."""
    return (await session.execute(_READ_STATUS, {"isp_id": isp_id})).all()


async def advance(
    session: AsyncSession,
    deployment_id: UUID,
    state: DeploymentState,
    at: datetime,
    *,
    steps: Sequence[StepRecord] = (),
    fields: Mapping[str, object] | None = None,
) -> bool:
    """Record `steps`, move the deployment to `state` unless it is already further along, set
    `fields`, and NOTIFY its status streams, in one statement. False if there is no such
    deployment."""
    fields = fields or {}
    params: dict[str, object] = {
        "deployment_id": deployment_id,
        "to_state": state.value,
        "at": at,
        **{f"set_{name}": value for name, value in fields.items()},
    }
    for i, record in enumerate(steps):
        params |= {
            f"step_{i}": record.step.value,
            f"position_{i}": _POSITION[record.step],
            f"started_at_{i}": record.started_at,
            f"completed_at_{i}": record.completed_at,
            f"detail_{i}": record.detail,
        }
    statement = _advance_statement(
        tuple(sorted(fields)), tuple(r.completed_at is not None for r in steps)
    )
    return (await session.execute(statement, params)).first() is not None


async def set_state_of_isp(
    session: AsyncSession, isp_id: UUID, state: DeploymentState, at: datetime
) -> bool:
    """Put the ISP's deployment in `state`, whatever state it is in. False if the ISP has no
    deployment."""
    moved = await session.execute(
        update(Deployment)
        .where(Deployment.isp_id == isp_id)
        .values(state=state.value, updated_at=func.greatest(Deployment.updated_at, at))
        .returning(Deployment.isp_id)
    )
    return moved.first() is not None


async def notify_changed(session: AsyncSession, isp_id: UUID) -> None:
    """Wake the ISP's status streams, in every replica, once the transaction commits."""
    await session.execute(select(func.pg_notify(CHANGED, str(isp_id))))
