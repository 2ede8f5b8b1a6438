"""Importing this package registers every event model in `dotmac_contracts.EVENTS`."""

from dotmac_contracts.events.billing import (
    BillingStatusChanged,
    BillingTierChanged,
    UsageThresholdCrossed,
)
from dotmac_contracts.events.demo import (
    DemoConverted,
    DemoExtended,
    DemoOpened,
    DemoReminded,
    DemoRemoved,
    DemoRequested,
)
from dotmac_contracts.events.licensing import (
    LicenceChanged,
    LicenceIssued,
    LicenceReinstated,
    LicenceRevoked,
    LicenceSuspended,
    TierCatalogPublished,
    TierTerms,
)
from dotmac_contracts.events.offboarding import (
    CancellationRequested,
    CancellationRetracted,
    DataExported,
    OffboardingCompleted,
    OffboardingStarted,
    OffboardingStopped,
)
from dotmac_contracts.events.provisioning import (
    DeploymentCompleted,
    DeploymentFailed,
    DeploymentRolledBack,
    DeploymentStarted,
    DeploymentStepCompleted,
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
    TenantUsed,
    TicketsCounted,
)

__all__ = [
    "BillingStatusChanged",
    "BillingTierChanged",
    "CancellationRequested",
    "CancellationRetracted",
    "CustomersCounted",
    "DataExported",
    "DemoConverted",
    "DemoExtended",
    "DemoOpened",
    "DemoReminded",
    "DemoRemoved",
    "DemoRequested",
    "DeploymentCompleted",
    "DeploymentFailed",
    "DeploymentRolledBack",
    "DeploymentStarted",
    "DeploymentStepCompleted",
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
    "OffboardingCompleted",
    "OffboardingStarted",
    "OffboardingStopped",
    "SnmpAccess",
    "TenantActivated",
    "TenantUsed",
    "TicketsCounted",
    "TierCatalogPublished",
    "TierTerms",
    "UsageThresholdCrossed",
]
