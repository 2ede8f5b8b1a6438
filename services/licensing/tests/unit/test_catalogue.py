from datetime import UTC, datetime
from itertools import pairwise

import pytest

from dotmac_contracts.vocabulary import Tier
from licensing.catalogue import tiers
from licensing.catalogue.publishing import catalog_event
from licensing.catalogue.schemas import catalogue
from licensing.catalogue.tiers import PLUGIN_REGISTRY, plugins_of, spec_of


def test_each_tier_includes_every_plugin_of_the_tiers_below():
    assert plugins_of(Tier.FREE) == ("customer_management", "basic_billing", "user_auth")
    ladder = [set(plugins_of(t)) for t in Tier]
    assert all(lower < higher for lower, higher in pairwise(ladder))
    assert len(plugins_of(Tier.ENTERPRISE)) == len(PLUGIN_REGISTRY) == 14


@pytest.mark.parametrize(
    ("plugin", "lowest"),
    [
        ("user_auth", Tier.FREE),
        ("basic_reporting", Tier.BASIC),
        ("api_access", Tier.PREMIUM),
        ("snmp_integration", Tier.PREMIUM),
        ("sla_management", Tier.ENTERPRISE),
    ],
)
def test_the_registry_names_the_lowest_tier_of_each_plugin(plugin, lowest):
    assert PLUGIN_REGISTRY[plugin] is lowest


def test_the_catalogue_has_the_vision_prices_caps_and_resources():
    tiers = {t.name: t for t in catalogue().tiers}
    assert [t.price_cents for t in tiers.values()] == [0, 4_900, 14_900, 39_900]
    assert [t.customer_cap for t in tiers.values()] == [100, 1_000, 10_000, None]
    assert tiers[Tier.ENTERPRISE].custom_pricing and not tiers[Tier.BASIC].custom_pricing
    assert tiers[Tier.PREMIUM].resources.cpu_request == "1000m"
    assert spec_of(Tier.ENTERPRISE).resources.max_replicas == 25


@pytest.mark.parametrize(
    ("tier", "access", "rate"),
    [
        (Tier.FREE, "none", None),
        (Tier.BASIC, "limited", 60),
        (Tier.PREMIUM, "full", 1_200),
        (Tier.ENTERPRISE, "full", 1_200),
    ],
)
def test_each_tier_has_the_api_rate_of_its_api_access(tier, access, rate):
    shown = {t.name: t for t in catalogue().tiers}[tier]
    assert (shown.api_access, shown.api_rate_per_minute) == (access, rate)
    assert spec_of(tier).api_rate_per_minute == rate


def test_the_published_terms_carry_the_api_rate_and_a_new_rate_is_a_new_version(monkeypatch):
    now = datetime.now(UTC)
    event = catalog_event(now)
    assert [t.api_rate_per_minute for t in event.tiers] == [None, 60, 1_200, 1_200]
    assert catalog_event(now).version == event.version, "same content, same version"
    monkeypatch.setitem(tiers.API_RATE_PER_MINUTE, "limited", 120)
    changed = catalog_event(now)
    assert changed.tiers[1].api_rate_per_minute == 120
    assert changed.version != event.version, "consumers must learn of a new rate"
