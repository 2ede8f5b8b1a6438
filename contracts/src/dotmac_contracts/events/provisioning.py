from datetime import datetime
from uuid import UUID

from pydantic import Field

from dotmac_contracts.registry import IspEvent, event_type
from dotmac_contracts.vocabulary import DeploymentStep, Provider, Region, Tier


@event_type("dotmac.provisioning.deployment.started.v1")
class DeploymentStarted(IspEvent):
    """The onboarding began, and with it its first step."""

    deployment_id: UUID
    isp_id: UUID
    provider: Provider
    region: Region
    tier: Tier
    workflow_id: str
    first_step: DeploymentStep = Field(
        default=DeploymentStep.PROVISIONING, description="The step that began at `started_at`"
    )
    started_at: datetime


@event_type("dotmac.provisioning.deployment.step_completed.v1")
class DeploymentStepCompleted(IspEvent):
    """A step ended and, unless it was the last, the next one began at the same instant.

    One event per step, not a start and an end: a step starts when the one before it ends, so
    the pair would say the same thing twice, and every event costs each of its consumers."""

    deployment_id: UUID
    isp_id: UUID
    step: DeploymentStep
    started_at: datetime
    completed_at: datetime
    detail: str = Field(default="", description="What the step did, for people")
    next_step: DeploymentStep | None = Field(
        default=None, description="The step that began at `completed_at`; none after the last"
    )


@event_type("dotmac.provisioning.deployment.completed.v1")
class DeploymentCompleted(IspEvent):
    deployment_id: UUID
    isp_id: UUID
    instance_url: str
    completed_at: datetime


@event_type("dotmac.provisioning.deployment.failed.v1")
class DeploymentFailed(IspEvent):
    """A step failed for good. If anything had been created, compensation follows."""

    deployment_id: UUID
    isp_id: UUID
    step: DeploymentStep
    reason: str = Field(description="Why, in words a person can act on")
    retryable: bool = Field(description="False for configuration errors: retrying won't help")
    compensating: bool = Field(description="True when created resources are being removed")
    failed_at: datetime


@event_type("dotmac.provisioning.deployment.rolled_back.v1")
class DeploymentRolledBack(IspEvent):
    """Everything a failed deployment created has been removed."""

    deployment_id: UUID
    isp_id: UUID
    undone: list[str] = Field(description="The compensations that ran, in the order they ran")
    rolled_back_at: datetime
