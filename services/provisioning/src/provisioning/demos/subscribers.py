"""DemoRequested opens a demo's lifecycle; TenantUsed (a sign-in to a demo) extends it."""

from temporalio.client import Client
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from dotmac_contracts.events import DemoRequested, TenantUsed
from provisioning.context import TaskQueue, Temporal
from provisioning.demos.messages import Demo
from provisioning.demos.workflows import DemoLifecycleWorkflow, workflow_id
from provisioning.search_attributes import ISP_ID, PROVIDER, TIER


async def signal_demo(temporal: Client, demo_id: str, signal: str, *args: str) -> bool:
    """Signal a demo's lifecycle if it is still running; False if there is none (not a demo,
    or its lifecycle ended)."""
    try:
        await temporal.get_workflow_handle(workflow_id(demo_id)).signal(signal, *args)
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def on_demo_requested(
    event: DemoRequested, temporal: Temporal, task_queue: TaskQueue
) -> None:
    demo = Demo(
        demo_id=str(event.isp_id),
        slug=event.slug,
        company_name=event.company_name,
        prospect_name=event.prospect_name,
        prospect_email=str(event.prospect_email),
        scenario=event.scenario,
        tier=event.tier.value,
    )
    try:
        await temporal.start_workflow(
            DemoLifecycleWorkflow.run,
            demo,
            id=workflow_id(demo.demo_id),
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            request_eager_start=True,  # see the onboarding's
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(ISP_ID, demo.demo_id),
                    SearchAttributePair(TIER, demo.tier),
                    SearchAttributePair(PROVIDER, "local"),
                ]
            ),
        )
    except WorkflowAlreadyStartedError:
        pass  # it ran to its end already: a late duplicate


async def on_tenant_used(event: TenantUsed, temporal: Temporal) -> None:
    await signal_demo(temporal, str(event.isp_id), "used", event.used_at.isoformat())


SUBSCRIBERS = (on_demo_requested, on_tenant_used)
