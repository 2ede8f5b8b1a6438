import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tenant_api.tenancy.entitlements.store import EntitlementStore, Grant, PluginNotIncluded


@pytest.fixture
def store() -> EntitlementStore:
    store = EntitlementStore()
    store._lowest_tier = {"customer_management": "free", "api_access": "premium"}
    return store


def grant(tier="basic", plugins=("customer_management",), days=30) -> Grant:
    return Grant(tier, frozenset(plugins), 1000, datetime.now(UTC) + timedelta(days=days))


def test_an_included_plugin_is_allowed(store):
    tenant = uuid.uuid4()
    store._grants[tenant] = grant()
    assert store.allows(tenant, "customer_management")
    store.require(tenant, "customer_management")


def test_a_missing_plugin_names_the_lowest_tier_that_has_it(store):
    tenant = uuid.uuid4()
    store._grants[tenant] = grant()
    with pytest.raises(PluginNotIncluded) as refused:
        store.require(tenant, "api_access")
    problem = refused.value
    assert problem.status == 403
    assert problem.extensions == {
        "plugin": "api_access",
        "required_tier": "premium",
        "current_tier": "basic",
    }
    assert "premium" in problem.detail and "basic" in problem.detail


def test_an_expired_licence_allows_nothing(store):
    tenant = uuid.uuid4()
    store._grants[tenant] = grant(days=-1)
    assert not store.allows(tenant, "customer_management")
    with pytest.raises(PluginNotIncluded, match="expired"):
        store.require(tenant, "customer_management")


def test_a_tenant_without_a_licence_gets_nothing(store):
    with pytest.raises(PluginNotIncluded, match="no licence"):
        store.require(uuid.uuid4(), "customer_management")
