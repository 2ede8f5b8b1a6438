"""Licence tokens: EdDSA (Ed25519) signed JWTs that an ISP instance verifies offline with the
platform's public keys (a JWK set, published by licensing at `/.well-known/dotmac-licence-keys`).

Licensing signs (`signing`) and verifies here; an ISP instance verifies with the same rules:
issuer, audience, expiry and the key set.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import jwt

ISSUER = "dotmac-licensing"
AUDIENCE = "dotmac-isp-instance"


class InvalidLicence(ValueError):
    """The token is forged, tampered with, expired, or for someone else."""


@dataclass(frozen=True)
class Licence:
    licence_id: UUID
    isp_id: UUID
    tier: str
    plugins: frozenset[str]
    customer_cap: int | None
    issued_at: datetime
    expires_at: datetime


def verify_licence(token: str, key_set: dict[str, Any]) -> Licence:
    """The licence a token proves, checked against the platform's JWK set. Raises InvalidLicence."""
    try:
        header = jwt.get_unverified_header(token)
        keys = {k.get("kid"): k for k in key_set.get("keys", [])}
        jwk = keys.get(header.get("kid"))
        if jwk is None or header.get("alg") != "EdDSA":
            raise InvalidLicence("the token is not signed by a known platform key")
        claims = jwt.decode(
            token,
            jwt.PyJWK(jwk).key,
            algorithms=["EdDSA"],
            issuer=ISSUER,
            audience=AUDIENCE,
            options={"require": ["exp", "iat", "sub", "jti"]},
        )
        return Licence(
            licence_id=UUID(claims["jti"]),
            isp_id=UUID(claims["sub"]),
            tier=claims["tier"],
            plugins=frozenset(claims["plugins"]),
            customer_cap=claims["customer_cap"],
            issued_at=datetime.fromtimestamp(claims["iat"], UTC),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        )
    except InvalidLicence:
        raise
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as error:
        raise InvalidLicence(str(error)) from error
