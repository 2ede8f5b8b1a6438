"""The API key format: `dmk_<tenant id, 32 hex>_<secret>`.

The tenant id in the key lets a request be placed in its tenant (and the key looked up under
that tenant's row-level security) before anything else is known. The secret has 256 bits of
entropy, so a plain SHA-256 of the whole key is a safe thing to store and to look it up by;
a slow password hash would only slow every API request down.
"""

import hashlib
import secrets
from dataclasses import dataclass
from uuid import UUID

PREFIX = "dmk_"
SHOWN = 12
"""How many characters of a key are stored and shown, so people can tell their keys apart."""


@dataclass(frozen=True)
class PresentedKey:
    tenant_id: UUID
    key_hash: str


def looks_like_key(credential: str) -> bool:
    return credential.startswith(PREFIX)


def new_key(tenant_id: UUID) -> tuple[str, str, str]:
    """A new key, its hash and the prefix to show."""
    key = f"{PREFIX}{tenant_id.hex}_{secrets.token_urlsafe(32)}"
    return key, key_hash(key), key[: len(PREFIX) + SHOWN]


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def read_key(credential: str) -> PresentedKey | None:
    """The tenant and hash of a presented key; None if it is not shaped like one of ours."""
    if not looks_like_key(credential):
        return None
    tenant_hex, _, secret = credential[len(PREFIX) :].partition("_")
    if len(tenant_hex) != 32 or len(secret) < 32:
        return None
    try:
        tenant_id = UUID(hex=tenant_hex)
    except ValueError:
        return None
    return PresentedKey(tenant_id, key_hash(credential))
