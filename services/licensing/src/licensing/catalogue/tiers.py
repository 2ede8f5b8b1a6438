from dataclasses import dataclass
from typing import Literal

from dotmac_contracts.capacity import TIER_RESOURCES, Resources
from dotmac_contracts.vocabulary import Plugin, Tier

ApiAccess = Literal["none", "limited", "full"]

API_RATE_PER_MINUTE: dict[ApiAccess, int | None] = {"none": None, "limited": 60, "full": 1_200}
"""Requests per minute an ISP's API keys may make, by its tier's API access; None: no access."""


@dataclass(frozen=True)
class TierSpec:
    tier: Tier
    price_cents: int
    customer_cap: int | None
    plugins_added: tuple[Plugin, ...]
    support: str
    api_access: ApiAccess
    resources: Resources
    custom_pricing: bool = False

    @property
    def api_rate_per_minute(self) -> int | None:
        return API_RATE_PER_MINUTE[self.api_access]


# Lowest tier first: a tier includes every plugin of the tiers before it.
CATALOGUE: tuple[TierSpec, ...] = (
    TierSpec(
        Tier.FREE,
        0,
        100,
        (Plugin.CUSTOMER_MANAGEMENT, Plugin.BASIC_BILLING, Plugin.USER_AUTH),
        support="community",
        api_access="none",
        resources=TIER_RESOURCES[Tier.FREE],
    ),
    TierSpec(
        Tier.BASIC,
        4_900,
        1_000,
        (Plugin.AUTOMATED_BILLING, Plugin.EMAIL_NOTIFICATIONS, Plugin.BASIC_REPORTING),
        support="email",
        api_access="limited",
        resources=TIER_RESOURCES[Tier.BASIC],
    ),
    TierSpec(
        Tier.PREMIUM,
        14_900,
        10_000,
        (
            Plugin.NETWORK_MONITORING,
            Plugin.ADVANCED_REPORTING,
            Plugin.API_ACCESS,
            Plugin.SNMP_INTEGRATION,
        ),
        support="priority",
        api_access="full",
        resources=TIER_RESOURCES[Tier.PREMIUM],
    ),
    TierSpec(
        Tier.ENTERPRISE,
        39_900,
        None,
        (
            Plugin.ADVANCED_AUTOMATION,
            Plugin.CUSTOM_INTEGRATIONS,
            Plugin.WHITE_LABEL,
            Plugin.SLA_MANAGEMENT,
        ),
        support="dedicated",
        api_access="full",
        resources=TIER_RESOURCES[Tier.ENTERPRISE],
        custom_pricing=True,
    ),
)

CURRENCY = "usd"
_BY_TIER = {spec.tier: spec for spec in CATALOGUE}
_ORDER = [spec.tier for spec in CATALOGUE]

PLUGIN_REGISTRY: dict[Plugin, Tier] = {
    plugin: spec.tier for spec in CATALOGUE for plugin in spec.plugins_added
}
"""Every plugin, with the lowest tier that has it."""


def spec_of(tier: Tier) -> TierSpec:
    return _BY_TIER[tier]


def plugins_of(tier: Tier) -> tuple[Plugin, ...]:
    """The tier's own plugins and every lower tier's, lowest tier's first."""
    upto = _ORDER.index(tier)
    return tuple(p for spec in CATALOGUE[: upto + 1] for p in spec.plugins_added)
