"""What each authenticated request is checked against, answered from memory.

- API keys: a key is looked up in the database the first time this replica sees it, then kept;
  revoking it evicts it from every replica at once (Postgres NOTIFY on commit).
- Access tokens are checked without the database until they expire, so a user who is disabled
  or given another role must lose the tokens they hold now: the change records a revocation
  time, every replica refuses that user's tokens issued up to it, and the user signs in (or
  refreshes, if still allowed) for a token that says what is true now.
- The API rate of the ISP's licence, spent per request made with a key.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.db import Database
from servicekit.notify import following, notify
from servicekit.runtime import Runtime
from tenant_api.identity.apikeys import repository as api_keys
from tenant_api.identity.apikeys.keys import PresentedKey
from tenant_api.identity.apikeys.limiter import RateLimiter
from tenant_api.identity.auth import repository
from tenant_api.identity.auth.roles import Permission
from tenant_api.identity.auth.tokens import AccessClaims

CHANNEL = "tenant_access_changed"


@dataclass(frozen=True)
class KeyGrant:
    key_id: UUID
    tenant_id: UUID
    scopes: frozenset[Permission]
    expires_at: datetime | None


async def revoke_key(session: AsyncSession, key_hash: str) -> None:
    """Every replica forgets the key once the caller's transaction commits."""
    await notify(session, CHANNEL, f"key:{key_hash}")


async def revoke_tokens(session: AsyncSession, user_id: UUID, now: datetime) -> None:
    """Refuse the user's access tokens issued up to `now`, in every replica, from commit on."""
    await repository.record_revocation(session, user_id, now)
    await notify(session, CHANNEL, f"user:{user_id}")


class AccessGuard:
    def __init__(self, token_ttl: timedelta) -> None:
        self._token_ttl = token_ttl
        self._keys: dict[str, KeyGrant] = {}
        self._revoked: dict[UUID, datetime] = {}
        self.limiter = RateLimiter()

    async def key(self, db: Database, presented: PresentedKey, now: datetime) -> KeyGrant | None:
        """The grant of a live key, or None (unknown, revoked or expired)."""
        grant = self._keys.get(presented.key_hash)
        if grant is None:
            async with db.unit_of_work(tenant=presented.tenant_id) as session:
                row = await api_keys.live_key(session, presented.key_hash)
            if row is None:
                return None
            grant = KeyGrant(
                row.id, row.tenant_id, frozenset(Permission(s) for s in row.scopes), row.expires_at
            )
            self._keys[presented.key_hash] = grant
        if grant.expires_at is not None and grant.expires_at <= now:
            return None
        return grant

    def token_revoked(self, claims: AccessClaims) -> bool:
        revoked_at = self._revoked.get(claims.user_id)
        return revoked_at is not None and claims.issued_at <= revoked_at

    async def _load_revocations(self, db: Database, user_id: UUID | None = None) -> None:
        since = datetime.now(UTC) - self._token_ttl  # older ones concern only expired tokens
        async with db.unit_of_work() as session:
            rows = await repository.revocations_since(session, since, user_id)
            if user_id is None:
                await repository.delete_revocations_up_to(session, since)
        for row in rows:
            self._revoked[row.user_id] = row.revoked_at

    async def _changed(self, db: Database, what: str) -> None:
        kind, _, ident = what.partition(":")
        if kind == "key":
            self._keys.pop(ident, None)
        elif kind == "user":
            await self._load_revocations(db, UUID(ident))

    @asynccontextmanager
    async def kept_current(self, runtime: Runtime) -> AsyncIterator[None]:
        async with following(runtime.db, CHANNEL, lambda what: self._changed(runtime.db, what)):
            await self._load_revocations(runtime.db)
            yield
