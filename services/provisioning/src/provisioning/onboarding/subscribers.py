"""IspRegistered starts the ISP's onboarding workflow. A redelivered event, or a second
registration event for the same ISP, attaches to the workflow already running (or finds the one
that already ran); the workflow itself records the deployment."""

from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from dotmac_contracts.events import IspRegistered
from provisioning.context import TaskQueue, Temporal
from provisioning.demos.subscribers import signal_demo
from provisioning.onboarding.messages import Onboarding
from provisioning.onboarding.workflows import OnboardIspWorkflow, workflow_id
from provisioning.search_attributes import ISP_ID, PROVIDER, REGION, TIER


async def on_isp_registered(
    event: IspRegistered, temporal: Temporal, task_queue: TaskQueue
) -> None:
    onboarding = Onboarding(
        isp_id=str(event.isp_id),
        deployment_id=str(event.deployment_id),
        slug=event.slug,
        company_name=event.company_name,
        tier=event.tier.value,
        region=event.region.value,
        provider=event.provider.value,
        domain=event.domain,
        contact_email=str(event.primary_contact_email),
        contact_name=event.primary_contact_name,
        from_demo=event.from_demo,
    )
    if event.from_demo:  # the demo's lifecycle ends, its tenant handed over
        await signal_demo(temporal, onboarding.isp_id, "converted")
    try:
        await temporal.start_workflow(
            OnboardIspWorkflow.run,
            onboarding,
            id=workflow_id(onboarding.isp_id),
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            # This process runs the worker too: the server hands the workflow's first task
            # back in its answer to this call, not to a poll through its task queue (a
            # burst of onboardings costs Temporal about a quarter less CPU so).
            request_eager_start=True,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(ISP_ID, onboarding.isp_id),
                    SearchAttributePair(TIER, onboarding.tier),
                    SearchAttributePair(REGION, onboarding.region),
                    SearchAttributePair(PROVIDER, onboarding.provider),
                ]
            ),
        )
    except WorkflowAlreadyStartedError:
        pass  # it ran to its end already: this is a late duplicate


SUBSCRIBERS = (on_isp_registered,)
