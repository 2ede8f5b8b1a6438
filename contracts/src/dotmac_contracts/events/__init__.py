"""Importing this package registers every event model in `dotmac_contracts.EVENTS`."""

from dotmac_contracts.events.licensing import LicenceIssued, TierCatalogPublished, TierTerms
from dotmac_contracts.events.provisioning import (
    DeploymentCompleted,
    DeploymentFailed,
    DeploymentRolledBack,
    DeploymentStarted,
    DeploymentStepCompleted,
    DeploymentStepStarted,
)
from dotmac_contracts.events.registration import IspRegistered
from dotmac_contracts.events.tenant import TenantActivated

__all__ = [
    "DeploymentCompleted",
    "DeploymentFailed",
    "DeploymentRolledBack",
    "DeploymentStarted",
    "DeploymentStepCompleted",
    "DeploymentStepStarted",
    "IspRegistered",
    "LicenceIssued",
    "TenantActivated",
    "TierCatalogPublished",
    "TierTerms",
]
