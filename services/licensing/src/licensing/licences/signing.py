"""The platform's licence signing key. Only licensing holds the private half."""

import base64
import hashlib
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from licensing.licences.verification import AUDIENCE, ISSUER


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class LicenceSigner:
    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        public = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self._public_jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64(public)}
        # RFC 7638 thumbprint: the key id changes exactly when the key does.
        canonical = json.dumps(self._public_jwk, sort_keys=True, separators=(",", ":"))
        self.key_id = _b64(hashlib.sha256(canonical.encode()).digest())

    @classmethod
    def from_pem(cls, pem: bytes) -> "LicenceSigner":
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the licence signing key must be an Ed25519 private key")
        return cls(key)

    @classmethod
    def from_file(cls, path: Path) -> "LicenceSigner":
        """Load the key, creating it (readable by its owner only) on first use."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
        return cls.from_pem(path.read_bytes())

    def key_set(self) -> dict[str, Any]:
        """The public JWK set ISP instances verify licences with."""
        return {"keys": [{**self._public_jwk, "kid": self.key_id, "use": "sig", "alg": "EdDSA"}]}

    def sign(
        self,
        *,
        licence_id: UUID,
        isp_id: UUID,
        tier: str,
        plugins: list[str],
        customer_cap: int | None,
        api_rate_per_minute: int | None,
        issued_at: datetime,
        expires_at: datetime,
    ) -> str:
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": str(isp_id),
            "jti": str(licence_id),
            "iat": int(issued_at.timestamp()),
            "exp": int(expires_at.timestamp()),
            "tier": tier,
            "plugins": plugins,
            "customer_cap": customer_cap,
            "api_rate_per_minute": api_rate_per_minute,
        }
        return jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": self.key_id})
