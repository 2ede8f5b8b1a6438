from fastapi import APIRouter

from licensing.catalogue.schemas import PluginRegistry, TierCatalogue, catalogue, registry

router = APIRouter(tags=["catalogue"])


@router.get("/api/v1/tiers")
async def list_tiers() -> TierCatalogue:
    """The licensing tiers, lowest first: price, customer cap, plugins, support, API access
    and its rate limit, resources."""
    return catalogue()


@router.get("/api/v1/licensing/plugins")
async def list_plugins() -> PluginRegistry:
    """Every plugin and the lowest tier that includes it."""
    return registry()
