"""The role matrix where it matters most: who may manage what reaches outside the ISP."""

from tenant_api.identity.auth.roles import KEY_SCOPES, PERMISSIONS, Permission, Role


def test_owners_and_admins_manage_webhooks_and_a_key_may_be_given_it():
    managers = {role for role in Role if Permission.WEBHOOKS_MANAGE in PERMISSIONS[role]}
    assert managers == {Role.OWNER, Role.ADMIN}
    assert Permission.WEBHOOKS_MANAGE.value == "webhooks:manage"
    assert Permission.WEBHOOKS_MANAGE in KEY_SCOPES


def test_admins_have_everything_but_making_owners_and_closing_the_account():
    assert set(Permission) - PERMISSIONS[Role.ADMIN] == {
        Permission.OWNERS_MANAGE,
        Permission.ACCOUNT_CLOSE,
    }
    assert PERMISSIONS[Role.OWNER] == frozenset(Permission)


def test_a_key_never_manages_people_keys_or_the_account():
    assert set(Permission) - KEY_SCOPES == {
        Permission.USERS_MANAGE,
        Permission.OWNERS_MANAGE,
        Permission.API_KEYS_MANAGE,
        Permission.ACCOUNT_CLOSE,
    }
