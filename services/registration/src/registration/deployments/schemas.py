from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from dotmac_contracts.vocabulary import DeploymentState, DeploymentStep


class StepStatus(BaseModel):
    name: DeploymentStep
    status: Literal["pending", "running", "completed", "failed"]
    started_at: datetime | None
    completed_at: datetime | None
    detail: str = ""


class DeploymentStatus(BaseModel):
    isp_id: UUID
    deployment_id: UUID
    state: DeploymentState
    provider: str | None
    workflow_id: str | None = Field(description="Find it in the Temporal UI under this id")
    instance_url: str | None
    error: str | None = Field(description="Why the deployment failed, when it did")
    created_at: datetime
    updated_at: datetime
    steps: list[StepStatus] = Field(description="Every onboarding step, in the order they run")
