"""Words every service shares: tiers, regions, deployment steps and states."""

from enum import StrEnum


class Tier(StrEnum):
    FREE = "free"
    BASIC = "basic"
    PREMIUM = "premium"
    ENTERPRISE = "enterprise"


class Plugin(StrEnum):
    """What a tier grants (DESIGN.md §4). Events carry plugins as their names, so a plugin added
    later does not break a consumer that does not know it yet."""

    CUSTOMER_MANAGEMENT = "customer_management"
    BASIC_BILLING = "basic_billing"
    USER_AUTH = "user_auth"
    AUTOMATED_BILLING = "automated_billing"
    EMAIL_NOTIFICATIONS = "email_notifications"
    BASIC_REPORTING = "basic_reporting"
    NETWORK_MONITORING = "network_monitoring"
    ADVANCED_REPORTING = "advanced_reporting"
    API_ACCESS = "api_access"
    SNMP_INTEGRATION = "snmp_integration"
    ADVANCED_AUTOMATION = "advanced_automation"
    CUSTOM_INTEGRATIONS = "custom_integrations"
    WHITE_LABEL = "white_label"
    SLA_MANAGEMENT = "sla_management"


class BillingPeriod(StrEnum):
    MONTHLY = "monthly"
    ANNUAL = "annual"


class Region(StrEnum):
    """Where an ISP instance may be placed (AWS names; other providers map from these)."""

    US_EAST_1 = "us-east-1"
    US_WEST_2 = "us-west-2"
    SA_EAST_1 = "sa-east-1"
    EU_WEST_1 = "eu-west-1"
    EU_CENTRAL_1 = "eu-central-1"
    EU_WEST_2 = "eu-west-2"
    AP_SOUTHEAST_1 = "ap-southeast-1"
    AP_SOUTHEAST_2 = "ap-southeast-2"
    AP_NORTHEAST_1 = "ap-northeast-1"


EU_REGIONS: frozenset[Region] = frozenset({Region.EU_WEST_1, Region.EU_CENTRAL_1, Region.EU_WEST_2})
"""Where an ISP that keeps its data in the EU may be placed."""


class Provider(StrEnum):
    LOCAL = "local"
    AWS = "aws"
    DIGITALOCEAN = "digitalocean"
    KUBERNETES = "kubernetes"


class DeploymentStep(StrEnum):
    """The onboarding steps, in the order they run; each is also the deployment's state."""

    PROVISIONING = "provisioning"
    DEPLOYING = "deploying"
    CONFIGURING = "configuring"
    INITIALIZING = "initializing"
    VALIDATING = "validating"
    WELCOMING = "welcoming"


class DeploymentState(StrEnum):
    """An ISP deployment's lifecycle (DESIGN.md §3)."""

    REGISTERED = "registered"
    PROVISIONING = "provisioning"
    DEPLOYING = "deploying"
    CONFIGURING = "configuring"
    INITIALIZING = "initializing"
    VALIDATING = "validating"
    WELCOMING = "welcoming"
    ACTIVE = "active"
    FAILED = "failed"
    COMPENSATING = "compensating"
    ROLLED_BACK = "rolled_back"
    OFFBOARDING = "offboarding"  # cancelled: data exported, the grace period running
    DELETED = "deleted"  # everything the onboarding made is gone
