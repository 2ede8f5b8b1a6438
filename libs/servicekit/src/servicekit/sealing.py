"""Secrets sealed with keys the platform's services share: authenticated encryption (Fernet:
AES-128-CBC and HMAC-SHA256), so a sealed value can be stored and published, and only a service
holding a key can read it or go unnoticed changing it.

Keys rotate: the first key seals, every key unseals; `reseal` moves a value to the first key.
"""

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class CannotUnseal(Exception):
    """The value was sealed with none of the keys, or was changed since."""


class Sealer:
    def __init__(self, keys: str) -> None:
        parsed = [k.strip() for k in keys.split(",") if k.strip()]
        if not parsed:
            raise ValueError("at least one sealing key is needed")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in parsed])

    def seal(self, secrets: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(secrets, sort_keys=True).encode()).decode()

    def unseal(self, sealed: str) -> dict[str, Any]:
        try:
            opened: dict[str, Any] = json.loads(self._fernet.decrypt(sealed.encode()))
        except (InvalidToken, ValueError):
            raise CannotUnseal("the value was sealed with another key or changed") from None
        return opened

    def reseal(self, sealed: str) -> str:
        return self._fernet.rotate(sealed.encode()).decode()

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode()
