"""Roles and what each may do. One matrix, checked by `require(permission)` on every route."""

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    BILLING = "billing"
    SUPPORT = "support"
    READ_ONLY = "read_only"


class Permission(StrEnum):
    USERS_READ = "users:read"
    USERS_MANAGE = "users:manage"
    OWNERS_MANAGE = "owners:manage"
    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_WRITE = "customers:write"
    BILLING_READ = "billing:read"
    BILLING_WRITE = "billing:write"
    TICKETS_READ = "tickets:read"
    TICKETS_WRITE = "tickets:write"
    NETWORK_READ = "network:read"
    NETWORK_WRITE = "network:write"
    API_KEYS_MANAGE = "api_keys:manage"
    AUTOMATIONS_READ = "automations:read"
    AUTOMATIONS_MANAGE = "automations:manage"
    WEBHOOKS_MANAGE = "webhooks:manage"
    """Set up where the ISP's events are delivered (the webhooks service checks it)."""
    ACCOUNT_CLOSE = "account:close"


_READ = {
    Permission.USERS_READ,
    Permission.CUSTOMERS_READ,
    Permission.BILLING_READ,
    Permission.TICKETS_READ,
    Permission.NETWORK_READ,
    Permission.AUTOMATIONS_READ,
}

PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.ADMIN: frozenset(set(Permission) - {Permission.OWNERS_MANAGE, Permission.ACCOUNT_CLOSE}),
    Role.BILLING: frozenset(_READ | {Permission.BILLING_WRITE, Permission.CUSTOMERS_WRITE}),
    Role.SUPPORT: frozenset(_READ | {Permission.TICKETS_WRITE, Permission.CUSTOMERS_WRITE}),
    Role.READ_ONLY: frozenset(_READ),
}


def may(role: Role, permission: Permission) -> bool:
    return permission in PERMISSIONS[role]


KEY_SCOPES: frozenset[Permission] = frozenset(
    set(Permission)
    - {
        Permission.USERS_MANAGE,
        Permission.OWNERS_MANAGE,
        Permission.API_KEYS_MANAGE,
        Permission.ACCOUNT_CLOSE,
    }
)
"""What an API key may be allowed: the work on the ISP's data, never managing people or keys."""
