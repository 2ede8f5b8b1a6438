"""The onboarding workflow alone, on Temporal's time-skipping test server, with its activities
stubbed (registered under the same names): the steps in order, and on a failure at any step
the failure reported, what was attempted undone in reverse order, then the rollback reported.

The real activities run against the platform in tests/e2e (test_onboarding_slice.py,
test_cloud_onboarding.py)."""

import uuid
from dataclasses import dataclass, field

import pytest
from temporalio import activity
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from dotmac_contracts.vocabulary import DeploymentStep
from provisioning.onboarding.messages import (
    InstanceRef,
    Onboarding,
    OnboardingResult,
    RollbackDone,
    StepFailure,
    StepOutcome,
    StepRun,
)
from provisioning.onboarding.workflows import OnboardIspWorkflow, workflow_id

pytestmark = pytest.mark.integration
STEPS = [step.value for step in DeploymentStep]
LEAVE_SOMETHING = {"provisioning", "configuring", "initializing"}
"""The steps whose work a compensation removes (the real undo_step says which)."""


@dataclass
class Stubs:
    """The activities, recording what the workflow asks of them, in order."""

    fail_at: str | None = None
    retryable: bool = False
    calls: list[tuple[str, str]] = field(default_factory=list)
    kinds: set[bool] = field(default_factory=set)
    """Whether each step ran as a local activity."""

    @activity.defn(name="run_step")
    async def run_step(self, run: StepRun) -> StepOutcome:
        self.calls.append(("run", run.step))
        self.kinds.add(activity.info().is_local)
        if run.step == self.fail_at:
            raise ApplicationError(
                f"injected failure at {run.step}",
                type="RuntimeError" if self.retryable else "ConfigurationError",
                non_retryable=not self.retryable,
            )
        if run.step == "provisioning":
            return StepOutcome("placed", InstanceRef("acme.localhost", "http://acme.localhost"))
        assert run.instance is not None, f"{run.step} was not given the instance"
        return StepOutcome(f"{run.step} done")

    @activity.defn(name="undo_step")
    async def undo_step(self, run: StepRun) -> bool:
        self.calls.append(("undo", run.step))
        return run.step in LEAVE_SOMETHING

    @activity.defn(name="report_failure")
    async def report_failure(self, failure: StepFailure) -> None:
        self.calls.append(("failed", failure.step))

    @activity.defn(name="report_rolled_back")
    async def report_rolled_back(self, done: RollbackDone) -> None:
        self.calls.append(("rolled_back", ",".join(done.undone)))


def onboarding(provider: str) -> Onboarding:
    isp_id = str(uuid.uuid4())
    return Onboarding(
        isp_id=isp_id,
        deployment_id=str(uuid.uuid4()),
        slug="acme",
        company_name="Acme Fiber",
        tier="basic",
        region="us-east-1",
        provider=provider,
        domain="acme.example",
        contact_email="ann@acme.example",
    )


async def onboard(env, stubs: Stubs, provider: str) -> OnboardingResult:
    queue = f"onboarding-{uuid.uuid4().hex[:8]}"
    subject = onboarding(provider)
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[OnboardIspWorkflow],
        activities=[
            stubs.run_step,
            stubs.undo_step,
            stubs.report_failure,
            stubs.report_rolled_back,
        ],
    ):
        result: OnboardingResult = await env.client.execute_workflow(
            OnboardIspWorkflow.run, subject, id=workflow_id(subject.isp_id), task_queue=queue
        )
    return result


@pytest.mark.parametrize("provider", ["local", "aws"])
async def test_the_steps_run_in_order_and_the_instance_is_passed_on(env, provider):
    stubs = Stubs()
    result = await onboard(env, stubs, provider)
    assert result.instance_url == "http://acme.localhost"
    assert stubs.calls == [("run", step) for step in STEPS]
    # The local provider's steps are local activities; a cloud's, regular ones (heartbeats,
    # a timeout per step).
    assert stubs.kinds == {provider == "local"}


@pytest.mark.parametrize("provider", ["local", "digitalocean"])
@pytest.mark.parametrize("step", STEPS)
async def test_a_failure_at_any_step_undoes_what_was_attempted_in_reverse(env, step, provider):
    stubs = Stubs(fail_at=step)
    with pytest.raises(WorkflowFailureError) as failed:
        await onboard(env, stubs, provider)
    assert f"onboarding failed at {step}: injected failure" in str(failed.value.cause)
    attempted = STEPS[: STEPS.index(step) + 1]
    undone = [s for s in reversed(attempted) if s in LEAVE_SOMETHING]
    assert stubs.calls == [
        *(("run", s) for s in attempted),
        ("failed", step),
        *(("undo", s) for s in reversed(attempted)),
        ("rolled_back", ",".join(undone)),
    ]


async def test_a_transient_failure_is_retried_before_anything_is_undone(env):
    stubs = Stubs(fail_at="configuring", retryable=True)
    with pytest.raises(WorkflowFailureError):
        await onboard(env, stubs, "local")
    runs = [step for kind, step in stubs.calls if kind == "run"]
    assert runs.count("configuring") == 8, "the step policy's attempts, with backoff"
    assert stubs.calls.index(("failed", "configuring")) == len(runs)
