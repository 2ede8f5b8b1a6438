"""Secrets sealed with keys the platform's services share: authenticated encryption (Fernet:
AES-128-CBC and HMAC-SHA256), so a sealed value can be stored and published, and only a service
holding a key can read it or go unnoticed changing it.

Keys rotate: the first key seals, every key unseals; `reseal` moves a value to the first key.

Shared, not tenant-api's alone: the sealed form crosses the bus (device inventory events), and
the network service unseals what tenant-api sealed.
"""

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr


class CannotUnseal(Exception):
    """The value was sealed with none of the keys, or was changed since."""


class MissingKeys(RuntimeError):
    """No sealing keys are configured: a service that seals cannot start without them."""


class Sealer:
    @classmethod
    def from_settings(cls, keys: SecretStr | None) -> "Sealer":
        """The sealer of `DOTMAC_DEVICE_SECRETS_KEYS`; without any, a start-up error that says
        how to make one (there is no default key: a key in the code seals nothing)."""
        if keys is None or not keys.get_secret_value().strip():
            raise MissingKeys(
                "DOTMAC_DEVICE_SECRETS_KEYS is not set: give it one or more Fernet keys, "
                'comma-separated (make one with `python -c "from cryptography.fernet import '
                'Fernet; print(Fernet.generate_key().decode())"`). The dev stack makes its own.'
            )
        return cls(keys.get_secret_value())

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
