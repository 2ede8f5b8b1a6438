"""Importing this package registers every event model in `dotmac_contracts.EVENTS`."""

from dotmac_contracts.events.licensing import (
    LicenceChanged,
    LicenceIssued,
    LicenceReinstated,
    LicenceRevoked,
    LicenceSuspended,
    TierCatalogPublished,
    TierTerms,
)
from dotmac_contracts.events.provisioning import (
    DeploymentCompleted,
    DeploymentFailed,
    DeploymentRolledBack,
    DeploymentStarted,
    DeploymentStepCompleted,
    DeploymentStepStarted,
)
from dotmac_contracts.events.registration import IspRegistered
from dotmac_contracts.events.tenant import (
    CustomersCounted,
    DeviceChanged,
    DeviceRecord,
    DeviceRegistered,
    DeviceRemoved,
    SnmpAccess,
    TenantActivated,
)

__all__ = [
    "CustomersCounted",
    "DeploymentCompleted",
    "DeploymentFailed",
    "DeploymentRolledBack",
    "DeploymentStarted",
    "DeploymentStepCompleted",
    "DeploymentStepStarted",
    "DeviceChanged",
    "DeviceRecord",
    "DeviceRegistered",
    "DeviceRemoved",
    "IspRegistered",
    "LicenceChanged",
    "LicenceIssued",
    "LicenceReinstated",
    "LicenceRevoked",
    "LicenceSuspended",
    "SnmpAccess",
    "TenantActivated",
    "TierCatalogPublished",
    "TierTerms",
]
