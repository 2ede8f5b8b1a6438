"""OnboardIspWorkflow: one per ISP, id `onboard-<isp_id>`. Runs the steps in order; if one fails
for good, undoes what the earlier ones (and the failed one) created, in reverse order.

The steps run as local activities: on the local provider each takes milliseconds, and a local
activity costs the Temporal server a marker in the workflow's history instead of a round trip
through a task queue (on 2 cores that took a third of the CPU of an onboarding). They keep the
activity guarantees that matter here: retries with backoff, non-retryable configuration errors,
and a rerun after a worker crash, which every step tolerates because each is idempotent. Steps
that take minutes (a cloud VM booting) belong in regular activities with heartbeats instead.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from dotmac_contracts.vocabulary import DeploymentStep
    from provisioning.onboarding.activities import OnboardingActivities
    from provisioning.onboarding.messages import (
        InstanceRef,
        Onboarding,
        OnboardingResult,
        RollbackDone,
        StepFailure,
        StepOutcome,
        StepRun,
    )

STEP_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
    maximum_attempts=8,
    non_retryable_error_types=["ConfigurationError"],
)
BOOKKEEPING_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_attempts=0)


def workflow_id(isp_id: str) -> str:
    return f"onboard-{isp_id}"


def _reason(error: FailureError) -> tuple[str, bool]:
    # A failed local activity surfaces as its own failure; a regular one wraps it.
    cause = error.cause if isinstance(error, ActivityError) else error
    if isinstance(cause, ApplicationError):
        return cause.message, not cause.non_retryable
    return str(cause or error), True


@workflow.defn(sandboxed=False)
class OnboardIspWorkflow:
    """Runs outside Temporal's sandbox: it is started for every ISP, often many at once, and
    building a sandbox for each new run is CPU a busy worker lacks (in a burst of 50, the
    first step began 0.2 s sooner on average without it). Its code is plain and deterministic
    (no clock, no randomness, no I/O); the end-to-end tests replay its histories to hold it to
    that."""

    def __init__(self) -> None:
        self._step: str = "registered"

    @workflow.query
    def current_step(self) -> str:
        return self._step

    @workflow.run
    async def run(self, onboarding: Onboarding) -> OnboardingResult:
        attempted: list[DeploymentStep] = []
        instance: InstanceRef | None = None
        steps = list(DeploymentStep)
        for position, step in enumerate(steps):
            following = steps[position + 1].value if position + 1 < len(steps) else None
            self._step = step.value
            attempted.append(step)
            try:
                outcome: StepOutcome = await workflow.execute_local_activity_method(
                    OnboardingActivities.run_step,
                    StepRun(onboarding, step.value, instance, following),
                    start_to_close_timeout=timedelta(seconds=60),
                    retry_policy=STEP_RETRY,
                )
                instance = outcome.instance or instance
            except FailureError as error:  # failed for good, timed out or cancelled
                reason, retryable = _reason(error)
                await self._roll_back(onboarding, step, reason, retryable, attempted)
                raise ApplicationError(
                    f"onboarding failed at {step.value}: {reason}",
                    type="OnboardingFailed",
                    non_retryable=True,
                ) from error
        self._step = "active"  # the last step's activity recorded the deployment's completion
        return OnboardingResult(onboarding.isp_id, instance.url if instance else "")

    async def _roll_back(
        self,
        onboarding: Onboarding,
        failed: DeploymentStep,
        reason: str,
        retryable: bool,
        attempted: list[DeploymentStep],
    ) -> None:
        self._step = "compensating"
        await workflow.execute_activity_method(
            OnboardingActivities.report_failure,
            StepFailure(onboarding, failed.value, reason, retryable, compensating=True),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=BOOKKEEPING_RETRY,
        )
        undone: list[str] = []
        for step in reversed(attempted):
            # Compensations must finish: retry them until they do (an operator sees it in the UI).
            did_undo = await workflow.execute_activity_method(
                OnboardingActivities.undo_step,
                StepRun(onboarding, step.value),
                start_to_close_timeout=timedelta(seconds=60),
                retry_policy=BOOKKEEPING_RETRY,
            )
            if did_undo:
                undone.append(step.value)
        await workflow.execute_activity_method(
            OnboardingActivities.report_rolled_back,
            RollbackDone(onboarding, undone),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=BOOKKEEPING_RETRY,
        )
        self._step = "rolled_back"
