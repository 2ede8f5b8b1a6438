"""Licensing's announcements, recorded for this service's entitlement store."""

from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.events import (
    LicenceChanged,
    LicenceIssued,
    LicenceReinstated,
    LicenceRevoked,
    LicenceSuspended,
    TierCatalogPublished,
)
from servicekit.stream import Session
from tenant_api.tenancy.entitlements import repository
from tenant_api.tenancy.entitlements.store import ACTIVE, CATALOG, REVOKED, SUSPENDED, announce


async def on_licence_issued(e: LicenceIssued, session: Session) -> None:
    await _record_licence(session, e)


async def on_licence_changed(e: LicenceChanged, session: Session) -> None:
    await _record_licence(session, e)


async def _record_licence(session: AsyncSession, e: LicenceIssued | LicenceChanged) -> None:
    # A new licence starts in force; a tier change keeps the licence's status (licensing lets
    # a suspended ISP change tier, and it stays suspended).
    await repository.record_licence(
        session,
        tenant_id=e.isp_id,
        status=ACTIVE,
        licence_id=e.licence_id,
        tier=e.tier.value,
        plugins=e.plugins,
        customer_cap=e.customer_cap,
        api_rate_per_minute=e.api_rate_per_minute,
        issued_at=e.issued_at,
        expires_at=e.expires_at,
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
    await repository.record_status(
        session,
        tenant_id=e.isp_id,
        licence_id=e.licence_id,
        status=status,
        reason=reason,
        final=REVOKED,
    )
    await announce(session, str(e.isp_id))


async def on_catalog_published(e: TierCatalogPublished, session: Session) -> None:
    await repository.record_catalog(
        session,
        version=e.version,
        tiers=[t.name.value for t in e.tiers],
        plugins={plugin: tier.value for plugin, tier in e.plugins.items()},
        published_at=e.published_at,
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
