"""Auth overhead of an authenticated request, login excluded: verifying the access token
(HS256 JWT, no database) and checking the role's permission, as tenant-api does on every
signed-in request. Needs nothing running. Run:

    .venv/bin/python bench/auth.py

Last line: {"token_check_us": ..., "permission_check_us": ..., "auth_overhead_us": ...}
"""

import json
import timeit
import uuid
from datetime import UTC, datetime, timedelta

from tenant_api.auth.roles import Permission, Role, may
from tenant_api.auth.tokens import AccessTokens


def main() -> None:
    tokens = AccessTokens("bench-secret-bench-secret-bench-secret", timedelta(minutes=15))
    token = tokens.issue(
        user_id=uuid.uuid4(), tenant_id=uuid.uuid4(), role=Role.SUPPORT, now=datetime.now(UTC)
    )
    n = 20_000
    read_us = min(timeit.repeat(lambda: tokens.read(token), number=n, repeat=5)) / n * 1e6
    claims = tokens.read(token)
    may_us = (
        min(timeit.repeat(lambda: may(claims.role, Permission.TICKETS_WRITE), number=n, repeat=5))
        / n
        * 1e6
    )
    print(f"token check {read_us:.1f} µs, permission check {may_us:.2f} µs")
    print(
        json.dumps(
            {
                "token_check_us": round(read_us, 1),
                "permission_check_us": round(may_us, 2),
                "auth_overhead_us": round(read_us + may_us, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
