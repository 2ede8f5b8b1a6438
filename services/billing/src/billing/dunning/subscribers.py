"""Dunning starts when an ISP's account falls past due, and stops when it is paid: billing
follows its own account moves (`BillingStatusChanged`)."""

from typing import Annotated

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from billing.dunning.messages import Dunning, Timeline
from billing.dunning.workflows import DunningWorkflow, workflow_id
from dotmac_contracts.events import BillingStatusChanged
from servicekit.stream import ContextValue

Temporal = Annotated[Client, ContextValue("temporal")]
TaskQueue = Annotated[str, ContextValue("task_queue")]
DunningTimeline = Annotated[Timeline, ContextValue("dunning_timeline")]


async def on_account_moved(
    event: BillingStatusChanged, temporal: Temporal, queue: TaskQueue, timeline: DunningTimeline
) -> None:
    isp_id = str(event.isp_id)
    if event.status == "past_due" and event.previous == "active":
        try:
            await temporal.start_workflow(
                DunningWorkflow.run,
                Dunning(isp_id, timeline),
                id=workflow_id(isp_id),
                task_queue=queue,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            pass  # a redelivered event: dunning runs already
    elif event.status == "active" and event.previous in ("past_due", "suspended"):
        handle: WorkflowHandle = temporal.get_workflow_handle(workflow_id(isp_id))
        try:
            await handle.signal(DunningWorkflow.settled)
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise  # (NOT_FOUND: dunning already over)


SUBSCRIBERS = (on_account_moved,)
