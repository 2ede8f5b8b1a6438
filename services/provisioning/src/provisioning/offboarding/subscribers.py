"""An owner's cancellation starts the ISP's offboarding, and so does billing cancelling an ISP
that dunning could not get paid; the owner's retraction stops it."""

from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.service import RPCError, RPCStatusCode

from dotmac_contracts.events import (
    BillingStatusChanged,
    CancellationRequested,
    CancellationRetracted,
)
from provisioning.context import GraceSeconds, TaskQueue, Temporal
from provisioning.offboarding.messages import Offboarding
from provisioning.offboarding.workflows import OffboardIspWorkflow, workflow_id
from provisioning.search_attributes import ISP_ID


async def on_requested(
    event: CancellationRequested, temporal: Temporal, task_queue: TaskQueue, grace_s: GraceSeconds
) -> None:
    await _offboard(temporal, task_queue, grace_s, str(event.isp_id))


async def on_billing_moved(
    event: BillingStatusChanged, temporal: Temporal, task_queue: TaskQueue, grace_s: GraceSeconds
) -> None:
    """Billing cancelled the ISP (unpaid past dunning's last day): offboard it, as if its
    owner had cancelled. A cancellation that follows the ISP's offboarding, and billing's other
    moves, are not provisioning's business."""
    if event.status == "cancelled" and not event.offboarding:
        await _offboard(temporal, task_queue, grace_s, str(event.isp_id))


async def _offboard(temporal: Temporal, task_queue: str, grace_s: float, isp_id: str) -> None:
    # A cancellation retracted and made again starts a new run; a redelivery attaches.
    await temporal.start_workflow(
        OffboardIspWorkflow.run,
        Offboarding(isp_id=isp_id, grace_s=grace_s),
        id=workflow_id(isp_id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        request_eager_start=True,  # see the onboarding's
        search_attributes=TypedSearchAttributes([SearchAttributePair(ISP_ID, isp_id)]),
    )


async def on_retracted(event: CancellationRetracted, temporal: Temporal) -> None:
    try:
        await temporal.get_workflow_handle(workflow_id(str(event.isp_id))).signal(
            OffboardIspWorkflow.retracted
        )
    except RPCError as error:
        if error.status is not RPCStatusCode.NOT_FOUND:
            raise


SUBSCRIBERS = (on_requested, on_retracted, on_billing_moved)
