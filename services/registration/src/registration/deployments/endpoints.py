import asyncio
from collections.abc import AsyncIterator
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from registration.deployments.schemas import DeploymentStatus
from registration.deployments.service import SETTLED, deployment_status
from registration.deps import WatchDep
from servicekit.http import RuntimeDep

router = APIRouter(prefix="/api/v1/isp", tags=["deployment"])
KEEP_ALIVE_S = 15.0


@router.get("/{isp_id}/deployment", responses={404: {"description": "No ISP with this id"}})
async def get_deployment(isp_id: UUID, runtime: RuntimeDep) -> DeploymentStatus:
    """Where an ISP's onboarding stands: its state, each step's times, the error if it failed."""
    async with runtime.db.reading() as connection:
        return await deployment_status(connection, isp_id)


@router.get(
    "/{isp_id}/deployment/events",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "`status` events"},
        404: {"description": "No ISP with this id"},
    },
)
async def stream_deployment(
    isp_id: UUID, runtime: RuntimeDep, watch: WatchDep
) -> StreamingResponse:
    """Server-sent events: a `status` event with the deployment status now and after every
    change, until the deployment is active, failed or rolled back. Reconnect to resume."""
    changed = watch.subscribe(isp_id)  # before the first read, so no change slips between
    try:
        async with runtime.db.reading() as connection:
            first = await deployment_status(connection, isp_id)
    except BaseException:
        watch.unsubscribe(isp_id, changed)
        raise

    async def events() -> AsyncIterator[str]:
        status, sent = first, ""
        try:
            while True:
                body = status.model_dump_json()
                if body != sent:
                    yield f"event: status\ndata: {body}\n\n"
                    sent = body
                if status.state in SETTLED:
                    return
                try:
                    async with asyncio.timeout(KEEP_ALIVE_S):
                        await changed.wait()
                    # Read at once: a step's end and the next one's start are one event now,
                    # and the events of one transaction wake a stream once (Postgres folds
                    # equal notifications), so waiting to gather more only delayed each change.
                except TimeoutError:
                    yield ": still here\n\n"
                changed.clear()
                async with runtime.db.reading() as connection:
                    status = await deployment_status(connection, isp_id)
        finally:
            watch.unsubscribe(isp_id, changed)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )
