"""Entitlement checks: how long tenant-api takes to decide whether a tenant may use a plugin.

Needs nothing running: the check is answered from memory, which is the point. Loads a store with
10,000 tenants spread over the tiers and times the check on the hot path (allowed) and the
refusal (which builds the 403 problem). Run:

    .venv/bin/python bench/entitlements.py

Last line: {"tenants": 10000, "allowed_check_us": ..., "refused_check_us": ...}
"""

import json
import random
import timeit
import uuid
from datetime import UTC, datetime, timedelta

from tenant_api.tenancy.entitlements.store import EntitlementStore, Grant, PluginNotIncluded

TIERS = {
    "free": ["customer_management", "basic_billing", "user_auth"],
    "basic": ["automated_billing", "email_notifications", "basic_reporting"],
    "premium": ["network_monitoring", "advanced_reporting", "api_access", "snmp_integration"],
    "enterprise": ["advanced_automation", "custom_integrations", "white_label", "sla_management"],
}


def build(tenants: int) -> tuple[EntitlementStore, list[uuid.UUID]]:
    store = EntitlementStore()
    store._lowest_tier = {plugin: tier for tier, plugins in TIERS.items() for plugin in plugins}
    names = list(TIERS)
    expires = datetime.now(UTC) + timedelta(days=365)
    ids = []
    for i in range(tenants):
        tier = names[i % 4]
        plugins = [p for t in names[: names.index(tier) + 1] for p in TIERS[t]]
        tenant = uuid.uuid4()
        store._grants[tenant] = Grant(tier, frozenset(plugins), None, expires)
        ids.append(tenant)
    return store, ids


def main() -> None:
    tenants = 10_000
    store, ids = build(tenants)
    free = [t for t in ids if store.grant(t).tier == "free"]  # type: ignore[union-attr]
    rng = random.Random(7)
    picks = [rng.choice(ids) for _ in range(1000)]

    def allowed() -> None:
        for tenant in picks:
            store.require(tenant, "customer_management")

    def refused() -> None:
        for tenant in free[:1000]:
            try:
                store.require(tenant, "api_access")
            except PluginNotIncluded:
                pass

    allowed_us = min(timeit.repeat(allowed, number=20, repeat=5)) / (20 * 1000) * 1e6
    refused_us = min(timeit.repeat(refused, number=20, repeat=5)) / (20 * len(free[:1000])) * 1e6
    print(f"allowed check: {allowed_us:.2f} µs, refused (with problem): {refused_us:.2f} µs")
    print(
        json.dumps(
            {
                "tenants": tenants,
                "allowed_check_us": round(allowed_us, 2),
                "refused_check_us": round(refused_us, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
