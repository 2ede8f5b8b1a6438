from uuid import UUID

from fastapi import APIRouter

from registration.deployments.schemas import DeploymentStatus
from registration.deployments.service import deployment_status
from servicekit.http import RuntimeDep

router = APIRouter(prefix="/api/v1/isp", tags=["deployment"])


@router.get("/{isp_id}/deployment", responses={404: {"description": "No ISP with this id"}})
async def get_deployment(isp_id: UUID, runtime: RuntimeDep) -> DeploymentStatus:
    """Where an ISP's onboarding stands: its state, each step's times, the error if it failed."""
    async with runtime.db.unit_of_work() as session:
        return await deployment_status(session, isp_id)
