"""Access tokens: a token's signature is checked once, and it still expires on time."""

import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from tenant_api.identity.auth.roles import Role
from tenant_api.identity.auth.tokens import AccessTokens, BadToken


def test_a_token_read_again_says_the_same_and_one_signed_elsewhere_is_refused():
    tokens = AccessTokens("a secret of this replica, long enough", timedelta(minutes=15))
    user, tenant = uuid4(), uuid4()
    token = tokens.issue(user_id=user, tenant_id=tenant, role=Role.OWNER, now=datetime.now(UTC))
    first = tokens.read(token)
    assert (first.user_id, first.tenant_id, first.role) == (user, tenant, Role.OWNER)
    assert tokens.read(token) == first
    forged = AccessTokens("another secret, long enough too!!", timedelta(minutes=15))
    with pytest.raises(BadToken):
        forged.read(token)
    with pytest.raises(BadToken):
        tokens.read(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))


def test_a_token_read_before_is_refused_once_it_has_expired():
    tokens = AccessTokens("a secret of this replica, long enough", timedelta(hours=1))
    # Issued an hour ago, less a second: it expires a second or so from now.
    issued = datetime.now(UTC) - timedelta(hours=1) + timedelta(seconds=1.2)
    token = tokens.issue(user_id=uuid4(), tenant_id=uuid4(), role=Role.OWNER, now=issued)
    tokens.read(token)
    time.sleep(1.5)
    with pytest.raises(BadToken):
        tokens.read(token)
