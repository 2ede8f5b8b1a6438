from pydantic import BaseModel, Field

from dotmac_contracts.vocabulary import Tier
from licensing.catalogue.tiers import CATALOGUE, CURRENCY, PLUGIN_REGISTRY, plugins_of


class ResourcesRead(BaseModel):
    min_replicas: int
    max_replicas: int
    cpu_request: str
    memory_request: str
    storage: str


class TierRead(BaseModel):
    name: Tier
    price_cents: int = Field(description="Per month, in minor units of `currency`")
    currency: str
    custom_pricing: bool = Field(description="Enterprise prices start here and are negotiated")
    customer_cap: int | None = Field(description="Most customers an ISP may have; null: no cap")
    plugins: list[str] = Field(description="Every plugin included, lower tiers' too")
    support: str
    api_access: str = Field(description="none, limited or full")
    api_rate_per_minute: int | None = Field(
        description="Requests per minute the ISP's API keys may make; null: no API access"
    )
    resources: ResourcesRead


class TierCatalogue(BaseModel):
    tiers: list[TierRead]


class PluginRead(BaseModel):
    name: str
    lowest_tier: Tier


class PluginRegistry(BaseModel):
    plugins: list[PluginRead]


def catalogue() -> TierCatalogue:
    return TierCatalogue(
        tiers=[
            TierRead(
                name=spec.tier,
                price_cents=spec.price_cents,
                currency=CURRENCY,
                custom_pricing=spec.custom_pricing,
                customer_cap=spec.customer_cap,
                plugins=list(plugins_of(spec.tier)),
                support=spec.support,
                api_access=spec.api_access,
                api_rate_per_minute=spec.api_rate_per_minute,
                resources=ResourcesRead(**vars(spec.resources)),
            )
            for spec in CATALOGUE
        ]
    )


def registry() -> PluginRegistry:
    return PluginRegistry(
        plugins=[PluginRead(name=name, lowest_tier=tier) for name, tier in PLUGIN_REGISTRY.items()]
    )
