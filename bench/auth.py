"""Auth overhead of an authenticated request, login excluded, as tenant-api pays it on every
signed-in request, from memory (no database, no network):

- a person: verify the access token (HS256 JWT), check it was not revoked (user disabled or
  given another role), look the permission up in the role matrix;
- a program: read the API key, hash it, find its grant among the keys this replica has seen,
  spend one request of the ISP's API rate, check the scope.

Needs nothing running. Run:

    .venv/bin/python bench/auth.py

Last line: {"token_auth_us": ..., "api_key_auth_us": ..., "auth_overhead_us": ...}
(auth_overhead_us is the slower of the two).
"""

import asyncio
import json
import time
import timeit
import uuid
from datetime import UTC, datetime, timedelta

from tenant_api.identity.apikeys.keys import new_key, read_key
from tenant_api.identity.auth.access import AccessGuard, KeyGrant
from tenant_api.identity.auth.roles import KEY_SCOPES, PERMISSIONS, Permission, Role
from tenant_api.identity.auth.tokens import AccessTokens

N = 20_000


def token_auth_us(guard: AccessGuard) -> float:
    tokens = AccessTokens("bench-secret-bench-secret-bench-secret", timedelta(minutes=15))
    token = tokens.issue(
        user_id=uuid.uuid4(), tenant_id=uuid.uuid4(), role=Role.SUPPORT, now=datetime.now(UTC)
    )

    def authenticate() -> bool:
        claims = tokens.read(token)
        return not guard.token_revoked(claims) and (
            Permission.TICKETS_WRITE in PERMISSIONS[claims.role]
        )

    assert authenticate()
    return min(timeit.repeat(authenticate, number=N, repeat=5)) / N * 1e6


def api_key_auth_us(guard: AccessGuard) -> float:
    tenant_id = uuid.uuid4()
    key, key_hash, _ = new_key(tenant_id)
    guard._keys[key_hash] = KeyGrant(uuid.uuid4(), tenant_id, KEY_SCOPES, None)  # seen before
    now = datetime.now(UTC)

    async def run(n: int) -> float:
        started = time.perf_counter()
        for _ in range(n):
            presented = read_key(key)
            assert presented is not None
            grant = await guard.key(None, presented, now)  # type: ignore[arg-type]
            assert grant is not None and Permission.CUSTOMERS_READ in grant.scopes
            guard.limiter.take(tenant_id, 10**9)
        return time.perf_counter() - started

    return min(asyncio.run(run(N)) for _ in range(5)) / N * 1e6


def main() -> None:
    guard = AccessGuard(timedelta(minutes=15))
    for i in range(10_000):  # a replica that has seen many revocations
        guard._revoked[uuid.uuid4()] = datetime.now(UTC) - timedelta(seconds=i)
    token_us, key_us = token_auth_us(guard), api_key_auth_us(guard)
    print(f"access token {token_us:.1f} µs, API key {key_us:.1f} µs")
    print(
        json.dumps(
            {
                "token_auth_us": round(token_us, 1),
                "api_key_auth_us": round(key_us, 1),
                "auth_overhead_us": round(max(token_us, key_us), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
