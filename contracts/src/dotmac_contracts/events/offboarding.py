"""An ISP leaves: its owner cancels, its data is exported for it to download, and after a grace
period (during which the owner may withdraw the cancellation) everything its onboarding created
is destroyed."""

from datetime import datetime
from uuid import UUID

from pydantic import Field

from dotmac_contracts.registry import IspEvent, event_type


@event_type("dotmac.tenant.cancellation.requested.v1")
class CancellationRequested(IspEvent):
    """The ISP's owner cancelled the service, from the ISP's own admin."""

    reason: str = ""
    requested_by: str = Field(description="user:<id> of the owner")
    requested_at: datetime


@event_type("dotmac.tenant.cancellation.retracted.v1")
class CancellationRetracted(IspEvent):
    """The owner changed their mind within the grace period."""

    retracted_by: str
    retracted_at: datetime


@event_type("dotmac.provisioning.offboarding.started.v1")
class OffboardingStarted(IspEvent):
    """The ISP is read-only until `delete_at`, when everything is destroyed."""

    delete_at: datetime
    started_at: datetime


@event_type("dotmac.provisioning.offboarding.exported.v1")
class DataExported(IspEvent):
    export_id: UUID
    size_bytes: int
    sha256: str
    exported_at: datetime


@event_type("dotmac.provisioning.offboarding.stopped.v1")
class OffboardingStopped(IspEvent):
    """The cancellation was retracted in time: the ISP carries on."""

    stopped_at: datetime


@event_type("dotmac.provisioning.offboarding.completed.v1")
class OffboardingCompleted(IspEvent):
    """The ISP's instance, DNS, tenant and data are gone."""

    destroyed: list[str] = Field(description="what was destroyed, in order")
    completed_at: datetime
