"""OnboardIspWorkflow: one per ISP, id `onboard-<isp_id>`. Runs the steps in order; if one fails
for good, undoes what the earlier ones (and the failed one) created, in reverse order.

On the local provider the steps run as local activities: each takes milliseconds, and a local
activity costs the Temporal server a marker in the workflow's history instead of a round trip
through a task queue (on 2 cores that took a third of the CPU of an onboarding). They keep the
activity guarantees that matter here: retries with backoff, non-retryable configuration errors,
and a rerun after a worker crash, which every step tolerates because each is idempotent.

On a cloud provider a step creates an instance and waits for it to boot, or waits for DNS:
minutes, not milliseconds. Those steps run as regular activities, each with its own timeout
(`STEP_TIMEOUTS`) and a heartbeat, so a worker that dies mid-step is noticed within
`HEARTBEAT_TIMEOUT` and the step is retried elsewhere, instead of the one-minute bound of a
local activity. Onboardings begun before that ran their cloud steps as local activities, and
replay so (`CLOUD_STEPS_AS_ACTIVITIES`).
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
CLOUD_STEP_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=6,
    non_retryable_error_types=["ConfigurationError"],
)
STEP_TIMEOUTS: dict[DeploymentStep, timedelta] = {
    DeploymentStep.PROVISIONING: timedelta(minutes=20),  # an instance created and booted
    DeploymentStep.DEPLOYING: timedelta(minutes=15),
    DeploymentStep.CONFIGURING: timedelta(minutes=15),  # DNS records and the certificate
    DeploymentStep.INITIALIZING: timedelta(minutes=5),
    DeploymentStep.VALIDATING: timedelta(minutes=10),
    DeploymentStep.WELCOMING: timedelta(minutes=5),
}
"""How long one attempt of a cloud step may take."""
HEARTBEAT_TIMEOUT = timedelta(seconds=30)
"""A cloud step's activity heartbeats more often than this (`HEARTBEAT_EVERY_S`) while it
works; past it without one, its worker is taken for dead and the step is retried."""
CLOUD_STEPS_AS_ACTIVITIES = "cloud-steps-as-activities"
LOCAL_PROVIDER = "local"


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
            run = StepRun(onboarding, step.value, instance, following)
            try:
                outcome: StepOutcome
                if self._in_the_cloud(onboarding):
                    outcome = await workflow.execute_activity_method(
                        OnboardingActivities.run_step,
                        run,
                        start_to_close_timeout=STEP_TIMEOUTS[step],
                        heartbeat_timeout=HEARTBEAT_TIMEOUT,
                        retry_policy=CLOUD_STEP_RETRY,
                    )
                else:
                    outcome = await workflow.execute_local_activity_method(
                        OnboardingActivities.run_step,
                        run,
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

    @staticmethod
    def _in_the_cloud(onboarding: Onboarding) -> bool:
        """Whether the steps run as regular activities. The local provider's never do, and
        ask nothing of the history (no patch marker in every onboarding)."""
        return onboarding.provider != LOCAL_PROVIDER and workflow.patched(CLOUD_STEPS_AS_ACTIVITIES)

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
            cloud = self._in_the_cloud(onboarding)
            did_undo = await workflow.execute_activity_method(
                OnboardingActivities.undo_step,
                StepRun(onboarding, step.value),
                start_to_close_timeout=STEP_TIMEOUTS[step] if cloud else timedelta(seconds=60),
                heartbeat_timeout=HEARTBEAT_TIMEOUT if cloud else None,
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
