"""The onboarding's activities. Each is idempotent: it may run again after a worker crash or a
timeout, finds its own earlier work (rows, routes, tenants) and does not repeat it or its events.

The bookkeeping is a few single statements per transaction (insert-or-nothing, update-where),
because it runs twice per step for every ISP being onboarded at once.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import cache
from uuid import UUID

from sqlalchemy import bindparam, delete, exists, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable
from temporalio import activity
from temporalio.exceptions import ApplicationError

from dotmac_contracts.events import (
    DeploymentCompleted,
    DeploymentFailed,
    DeploymentRolledBack,
    DeploymentStarted,
    DeploymentStepCompleted,
)
from dotmac_contracts.vocabulary import DeploymentState, DeploymentStep, Provider, Region, Tier
from provisioning.clients.tenant_api import TenantApi
from provisioning.errors import ConfigurationError
from provisioning.models import Deployment, Instance
from provisioning.models import DeploymentStep as StepRow
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
from servicekit.db import Database, param, table_of
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


# The bookkeeping runs for every step of every onboarding: its statements are built once.
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
                    await session.execute(delete(Instance).where(Instance.isp_id == isp_id))
            case _:
                return False
        return True

    @activity.defn
    async def report_failure(self, failure: StepFailure) -> None:
        onboarding, now = failure.onboarding, _now()
        async with self._db.unit_of_work() as session:
            if await self._move(
                session, onboarding, DeploymentState.FAILED, now, error=failure.reason
            ):
                await self._outbox.add(
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

    @activity.defn
    async def report_rolled_back(self, done: RollbackDone) -> None:
        onboarding, now = done.onboarding, _now()
        async with self._db.unit_of_work() as session:
            if await self._move(session, onboarding, DeploymentState.ROLLED_BACK, now):
                await self._outbox.add(
                    session,
                    DeploymentRolledBack(
                        deployment_id=UUID(onboarding.deployment_id),
                        isp_id=UUID(onboarding.isp_id),
                        undone=done.undone,
                        rolled_back_at=now,
                    ),
                )

    async def _move(  # type: ignore[no-untyped-def]
        self, session, onboarding, state, at, **fields
    ) -> bool:
        """Put the deployment in `state` unless it is there already. True if it moved."""
        moved = await session.execute(
            _move_statement(tuple(sorted(fields))),
            {
                "deployment_id": UUID(onboarding.deployment_id),
                "to_state": state.value,
                "at": at,
                **{f"set_{name}": value for name, value in fields.items()},
            },
        )
        return moved.first() is not None

    async def _begin(self, onboarding: Onboarding, first: DeploymentStep) -> None:
        """The deployment's record and its first step's start, created by the first step (so
        they exist, committed, before anything refers to them), announced once."""
        workflow_id, now = activity.info().workflow_id, _now()
        async with self._db.unit_of_work() as session:
            created = await session.execute(
                insert(Deployment)
                .values(
                    id=UUID(onboarding.deployment_id),
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
                    created_at=now,
                    updated_at=now,
                )
                .on_conflict_do_nothing()
                .returning(Deployment.id)
            )
            if created.first() is None:  # a retry: the deployment began earlier
                return
            await self._start_step(session, onboarding, first, now)
            await self._outbox.add(
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

    async def _start_step(
        self, session: AsyncSession, onboarding: Onboarding, step: DeploymentStep, now: datetime
    ) -> None:
        await session.execute(
            _START_STEP,
            {
                "deployment_id": UUID(onboarding.deployment_id),
                "step": step.value,
                "started_at": now,
            },
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
        onboarding = run.onboarding
        deployment_id, isp_id, now = UUID(onboarding.deployment_id), UUID(onboarding.isp_id), _now()
        async with self._db.unit_of_work() as session:
            if placed is not None:
                await session.execute(
                    _RECORD_INSTANCE,
                    {
                        "isp_id": isp_id,
                        "deployment_id": deployment_id,
                        "provider": onboarding.provider,
                        "host": placed.host,
                        "url": placed.url,
                        "created_at": now,
                    },
                )
            completed = (
                await session.execute(
                    _COMPLETE_STEP if following is not None else _COMPLETE_LAST_STEP,
                    {
                        "of_deployment": deployment_id,
                        "of_step": step.value,
                        "at": now,
                        "set_detail": detail,
                        "next_step": following.value if following else None,
                        "to_state": (following or DeploymentState.ACTIVE).value,
                    },
                )
            ).first()
            if completed is None:  # recorded by an earlier attempt, with what followed it
                return
            await self._outbox.add(
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
                await self._outbox.add(
                    session,
                    DeploymentCompleted(
                        deployment_id=deployment_id,
                        isp_id=isp_id,
                        instance_url=run.instance.url if run.instance else "",
                        completed_at=now,
                    ),
                )
