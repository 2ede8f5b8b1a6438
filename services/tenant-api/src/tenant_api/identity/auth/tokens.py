"""Access tokens (short-lived JWTs, checked without the database) and refresh tokens (random,
stored hashed, used once)."""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt

from tenant_api.identity.auth.roles import Role

ISSUER = "dotmac-tenant-api"


class BadToken(ValueError):
    pass


@dataclass(frozen=True)
class AccessClaims:
    user_id: UUID
    tenant_id: UUID
    role: Role
    issued_at: datetime


class AccessTokens:
    def __init__(self, secret: str, ttl: timedelta) -> None:
        self._secret = secret
        self.ttl = ttl

    def issue(self, *, user_id: UUID, tenant_id: UUID, role: Role, now: datetime) -> str:
        return jwt.encode(
            {
                "iss": ISSUER,
                "sub": str(user_id),
                "tid": str(tenant_id),
                "role": role.value,
                # Fractional: a token issued right after a revocation (auth.access) is told
                # apart from one issued right before it.
                "iat": now.timestamp(),
                "exp": int((now + self.ttl).timestamp()),
                "jti": uuid.uuid4().hex,
            },
            self._secret,
            algorithm="HS256",
        )

    def read(self, token: str) -> AccessClaims:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "tid", "role"]},
            )
            return AccessClaims(
                UUID(claims["sub"]),
                UUID(claims["tid"]),
                Role(claims["role"]),
                datetime.fromtimestamp(claims["iat"], UTC),
            )
        except (jwt.PyJWTError, ValueError, KeyError) as error:
            raise BadToken(str(error)) from error


def new_refresh_token() -> tuple[str, str]:
    """A refresh token and the hash it is stored under."""
    token = secrets.token_urlsafe(32)
    return token, refresh_token_hash(token)


def refresh_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
