"""Entitlements answered from memory: the hot path of every plugin-gated request.

The store is loaded from the database at start and refreshed when a licence or the catalogue
changes: the consumer that records the change notifies (Postgres NOTIFY, on commit), and every
replica's store reloads just what changed. No request ever waits on licensing.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.vocabulary import Plugin
from servicekit.db import Database
from servicekit.notify import following, notify
from servicekit.problems import Problem
from servicekit.runtime import Runtime
from tenant_api.tenancy.entitlements import repository

CHANNEL = "tenant_entitlements_changed"
CATALOG = "catalog"


class PluginNotIncluded(Problem):
    status, title, slug = 403, "Plugin not included", "plugin-not-included"


class LicenceNotInForce(Problem):
    status, title, slug = 403, "Licence not in force", "licence-not-in-force"


ACTIVE, SUSPENDED, REVOKED = "active", "suspended", "revoked"


@dataclass(frozen=True)
class Grant:
    tier: str
    plugins: frozenset[str]
    customer_cap: int | None
    expires_at: datetime
    api_rate_per_minute: int | None = None
    status: str = ACTIVE
    reason: str | None = None


async def announce(session: AsyncSession, what: str) -> None:
    """Refresh every replica's store once the caller's transaction commits."""
    await notify(session, CHANNEL, what)


class EntitlementStore:
    def __init__(self) -> None:
        self._grants: dict[UUID, Grant] = {}
        self._lowest_tier: dict[str, str] = {}

    def grant(self, tenant_id: UUID) -> Grant | None:
        return self._grants.get(tenant_id)

    def allows(self, tenant_id: UUID, plugin: Plugin, now: datetime | None = None) -> bool:
        grant = self._grants.get(tenant_id)
        return (
            grant is not None
            and grant.status != REVOKED
            and plugin in grant.plugins
            and (now or datetime.now(UTC)) < grant.expires_at
        )

    def plugins(self, tenant_id: UUID, now: datetime | None = None) -> frozenset[str]:
        """The plugins the tenant may use now: its licence's, none while the licence is revoked
        or expired, or if it has none (as `allows` answers for each)."""
        grant = self._grants.get(tenant_id)
        if (
            grant is None
            or grant.status == REVOKED
            or (now or datetime.now(UTC)) >= grant.expires_at
        ):
            return frozenset()
        return grant.plugins

    def require_writable(self, tenant_id: UUID) -> None:
        """Raise a 403 problem, with the reason, if the ISP's licence is suspended or revoked:
        its data stays readable, but nothing may change."""
        grant = self._grants.get(tenant_id)
        if grant is None or grant.status == ACTIVE:
            return
        what = "suspended" if grant.status == SUSPENDED else "revoked"
        after = " until it is reinstated" if grant.status == SUSPENDED else ""
        raise LicenceNotInForce(
            f"This ISP's licence is {what} ({grant.reason}): its data can be read but not "
            f"changed{after}.",
            licence_status=grant.status,
            reason=grant.reason,
        )

    def require(self, tenant_id: UUID, plugin: Plugin) -> None:
        """Raise a 403 problem naming the plugin and the lowest tier that has it."""
        now = datetime.now(UTC)
        if self.allows(tenant_id, plugin, now):
            return
        grant = self._grants.get(tenant_id)
        needed = self._lowest_tier.get(plugin)
        where = f"it comes with the {needed} tier and above" if needed else "no tier offers it"
        if grant is None:
            raise PluginNotIncluded(
                f"This ISP has no licence yet, so '{plugin}' is unavailable; {where}.",
                plugin=plugin,
                required_tier=needed,
                current_tier=None,
            )
        if grant.status == REVOKED:
            raise LicenceNotInForce(
                f"This ISP's licence was revoked ({grant.reason}), so '{plugin}' is unavailable.",
                plugin=plugin,
                licence_status=grant.status,
                reason=grant.reason,
            )
        if plugin in grant.plugins:
            raise PluginNotIncluded(
                f"This ISP's licence expired on {grant.expires_at:%Y-%m-%d}; renew it to use "
                f"'{plugin}'.",
                plugin=plugin,
                required_tier=needed,
                current_tier=grant.tier,
            )
        raise PluginNotIncluded(
            f"'{plugin}' is not part of the {grant.tier} tier; {where}.",
            plugin=plugin,
            required_tier=needed,
            current_tier=grant.tier,
        )

    async def load(self, db: Database, what: str | None = None) -> None:
        """Load everything (`what` None), the catalogue, or one tenant's grant."""
        async with db.unit_of_work() as session:
            if what in (None, CATALOG):
                catalog = await repository.catalog(session)
                if catalog is not None:
                    self._lowest_tier = dict(catalog.plugins)
            if what == CATALOG:
                return
            rows = await repository.entitlements(session, UUID(what) if what is not None else None)
        if what is not None and not rows:
            self._grants.pop(UUID(what), None)
        for row in rows:
            self._grants[row.tenant_id] = Grant(
                row.tier,
                frozenset(row.plugins),
                row.customer_cap,
                row.expires_at,
                row.api_rate_per_minute,
                row.status,
                row.status_reason,
            )

    @asynccontextmanager
    async def kept_current(self, runtime: Runtime) -> AsyncIterator[None]:
        async with following(runtime.db, CHANNEL, lambda what: self.load(runtime.db, what)):
            await self.load(runtime.db)
            yield
