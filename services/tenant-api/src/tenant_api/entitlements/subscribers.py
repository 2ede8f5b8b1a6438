"""Licensing's announcements, recorded for this service's entitlement store."""

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts import CloudEvent
from dotmac_contracts.events import (
    LicenceChanged,
    LicenceIssued,
    LicenceReinstated,
    LicenceRevoked,
    LicenceSuspended,
    TierCatalogPublished,
)
from servicekit.consumer import Subscription
from tenant_api.entitlements.store import ACTIVE, CATALOG, REVOKED, SUSPENDED, announce
from tenant_api.models import Entitlement, PluginCatalog


async def on_licence(
    session: AsyncSession, e: LicenceIssued | LicenceChanged, _: CloudEvent
) -> None:
    values = {
        "licence_id": e.licence_id,
        "tier": e.tier.value,
        "plugins": e.plugins,
        "customer_cap": e.customer_cap,
        "api_rate_per_minute": e.api_rate_per_minute,
        "issued_at": e.issued_at,
        "expires_at": e.expires_at,
    }
    # A new licence starts in force; a tier change keeps the licence's status (licensing lets a
    # suspended ISP change tier, and it stays suspended).
    statement = insert(Entitlement).values(tenant_id=e.isp_id, status=ACTIVE, **values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[Entitlement.tenant_id],
            set_=values,
            where=Entitlement.issued_at <= statement.excluded.issued_at,  # a late event loses
        )
    )
    await announce(session, str(e.isp_id))


async def on_licence_status(
    session: AsyncSession, e: LicenceSuspended | LicenceReinstated | LicenceRevoked, _: CloudEvent
) -> None:
    reason: str | None
    match e:
        case LicenceSuspended():
            status, reason = SUSPENDED, e.reason
        case LicenceRevoked():
            status, reason = REVOKED, e.reason
        case _:
            status, reason = ACTIVE, None
    # Only the licence the event names changes, so a late event about a replaced licence is
    # ignored; nothing leaves `revoked`.
    await session.execute(
        update(Entitlement)
        .where(
            Entitlement.tenant_id == e.isp_id,
            Entitlement.licence_id == e.licence_id,
            Entitlement.status != REVOKED,
        )
        .values(status=status, status_reason=reason)
    )
    await announce(session, str(e.isp_id))


async def on_catalog_published(
    session: AsyncSession, e: TierCatalogPublished, _: CloudEvent
) -> None:
    values = {
        "version": e.version,
        "tiers": [t.name.value for t in e.tiers],
        "plugins": {plugin: tier.value for plugin, tier in e.plugins.items()},
        "published_at": e.published_at,
    }
    statement = insert(PluginCatalog).values(id=1, **values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[PluginCatalog.id],
            set_=values,
            where=PluginCatalog.published_at <= statement.excluded.published_at,
        )
    )
    await announce(session, CATALOG)


SUBSCRIPTIONS = [
    Subscription(LicenceIssued, on_licence),
    Subscription(LicenceChanged, on_licence),
    Subscription(LicenceSuspended, on_licence_status),
    Subscription(LicenceReinstated, on_licence_status),
    Subscription(LicenceRevoked, on_licence_status),
    Subscription(TierCatalogPublished, on_catalog_published),
]
