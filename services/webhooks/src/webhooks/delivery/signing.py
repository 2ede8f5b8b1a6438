"""Signatures as Standard Webhooks defines them (`standardwebhooks` computes them): HMAC-SHA256
of `<webhook-id>.<webhook-timestamp>.<body>` with the endpoint's `whsec_` secret. While a
rotated-out secret is still valid, both signatures go in `webhook-signature`, space-separated,
so a receiver that has not switched yet still verifies."""

import base64
import secrets
from datetime import datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret: 32 random bytes, base64, `whsec_`-prefixed (what the
    `standardwebhooks` verifiers of every language read)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


class Signer:
    def __init__(self, secret: str, previous: str | None = None) -> None:
        self._keys = [Webhook(secret)] + ([Webhook(previous)] if previous else [])

    def signature(self, message_id: str, timestamp: datetime, body: str) -> str:
        return " ".join(key.sign(message_id, timestamp, body) for key in self._keys)
