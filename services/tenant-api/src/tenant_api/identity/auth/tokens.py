"""Access tokens (short-lived JWTs, checked without the database) and refresh tokens (random,
stored hashed, used once)."""

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt

from tenant_api.identity.auth.roles import Role

ISSUER = "dotmac-tenant-api"
VERIFIED_KEPT = 10_000
"""Tokens whose signature was checked, kept at most: a client sends the same token with every
request until it expires, and checking an HS256 signature and the claims again each time
costs more than the rest of the request's authentication."""


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
        self._verified: dict[str, tuple[AccessClaims, float]] = {}

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
        """The claims of a token signed here and not expired; BadToken otherwise. Whether it
        was revoked since is `AccessGuard`'s to say."""
        verified = self._verified.get(token)
        if verified is not None:
            claims, expires = verified
            if time.time() < expires:
                return claims
            del self._verified[token]
        claims, expires = self._verify(token)
        if len(self._verified) >= VERIFIED_KEPT:
            self._verified.clear()
        self._verified[token] = (claims, expires)
        return claims

    def _verify(self, token: str) -> tuple[AccessClaims, float]:
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
            ), float(claims["exp"])
        except (jwt.PyJWTError, ValueError, KeyError) as error:
            raise BadToken(str(error)) from error


def new_refresh_token() -> tuple[str, str]:
    """A refresh token and the hash it is stored under."""
    token = secrets.token_urlsafe(32)
    return token, refresh_token_hash(token)


def refresh_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
