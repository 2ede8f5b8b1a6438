"""Licensing's announcements, recorded for this service's entitlement store."""

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.events import (
    LicenceChanged,
    LicenceIssued,
    LicenceReinstated,
    LicenceRevoked,
    LicenceSuspended,
    TierCatalogPublished,
)
from servicekit.db import param, table_of
from servicekit.stream import Session
from tenant_api.models import Entitlement, PluginCatalog
from tenant_api.tenancy.entitlements.store import ACTIVE, CATALOG, REVOKED, SUSPENDED, announce

_entitlements = table_of(Entitlement)
_LICENCE_TERMS = (
    "licence_id",
    "tier",
    "plugins",
    "customer_cap",
    "api_rate_per_minute",
    "issued_at",
    "expires_at",
)
_licensed = insert(_entitlements).values(
    tenant_id=param(_entitlements.c.tenant_id),
    status=ACTIVE,
    **{term: param(_entitlements.c[term]) for term in _LICENCE_TERMS},
)
_RECORD_LICENCE = _licensed.on_conflict_do_update(
    index_elements=[_entitlements.c.tenant_id],
    set_={term: _licensed.excluded[term] for term in _LICENCE_TERMS},
    where=_entitlements.c.issued_at <= _licensed.excluded.issued_at,  # a late event loses
)
"""A new licence starts in force; a tier change keeps the licence's status (licensing lets a
suspended ISP change tier, and it stays suspended). Built once: every onboarding records one."""


async def on_licence_issued(e: LicenceIssued, session: Session) -> None:
    await _record_licence(session, e)


async def on_licence_changed(e: LicenceChanged, session: Session) -> None:
    await _record_licence(session, e)


async def _record_licence(session: AsyncSession, e: LicenceIssued | LicenceChanged) -> None:
    await session.execute(
        _RECORD_LICENCE,
        {
            "tenant_id": e.isp_id,
            "licence_id": e.licence_id,
            "tier": e.tier.value,
            "plugins": e.plugins,
            "customer_cap": e.customer_cap,
            "api_rate_per_minute": e.api_rate_per_minute,
            "issued_at": e.issued_at,
            "expires_at": e.expires_at,
        },
    )
    await announce(session, str(e.isp_id))


async def on_licence_suspended(e: LicenceSuspended, session: Session) -> None:
    await _record_status(session, e)


async def on_licence_reinstated(e: LicenceReinstated, session: Session) -> None:
    await _record_status(session, e)


async def on_licence_revoked(e: LicenceRevoked, session: Session) -> None:
    await _record_status(session, e)


async def _record_status(
    session: AsyncSession, e: LicenceSuspended | LicenceReinstated | LicenceRevoked
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


async def on_catalog_published(e: TierCatalogPublished, session: Session) -> None:
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


SUBSCRIBERS = (
    on_licence_issued,
    on_licence_changed,
    on_licence_suspended,
    on_licence_reinstated,
    on_licence_revoked,
    on_catalog_published,
)
