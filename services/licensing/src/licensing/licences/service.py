"""An ISP's licence: issued once, re-signed for a tier change, suspended, reinstated or
revoked, and each change announced through the outbox."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.events import (
    CustomerCount,
    LicenceChanged,
    LicenceIssued,
    LicenceReinstated,
    LicenceRevoked,
    LicenceSuspended,
)
from dotmac_contracts.vocabulary import Tier
from licensing.catalogue.tiers import plugins_of, spec_of
from licensing.licences import repository
from licensing.licences.signing import LicenceSigner
from licensing.models import Licence, LicenceStatus
from servicekit.outbox import Outbox
from servicekit.problems import Conflict, NotFound


class TierBelowUsage(Conflict):
    title = "Tier too small"
    slug = "tier-below-usage"


class RevokedLicence(Conflict):
    title = "Licence revoked"
    slug = "licence-revoked"


@dataclass(frozen=True)
class Terms:
    """A licence's content for a tier, signed."""

    licence_id: UUID
    tier: Tier
    plugins: list[str]
    customer_cap: int | None
    api_rate_per_minute: int | None
    issued_at: datetime
    expires_at: datetime
    token: str


def signed_terms(
    signer: LicenceSigner, *, isp_id: UUID, tier: Tier, now: datetime, validity: timedelta
) -> Terms:
    spec, licence_id, plugins = spec_of(tier), uuid.uuid4(), [p.value for p in plugins_of(tier)]
    token = signer.sign(
        licence_id=licence_id,
        isp_id=isp_id,
        tier=tier.value,
        plugins=plugins,
        customer_cap=spec.customer_cap,
        api_rate_per_minute=spec.api_rate_per_minute,
        issued_at=now,
        expires_at=now + validity,
    )
    return Terms(
        licence_id=licence_id,
        tier=tier,
        plugins=plugins,
        customer_cap=spec.customer_cap,
        api_rate_per_minute=spec.api_rate_per_minute,
        issued_at=now,
        expires_at=now + validity,
        token=token,
    )


async def issue_licence(
    session: AsyncSession,
    outbox: Outbox,
    signer: LicenceSigner,
    *,
    isp_id: UUID,
    tier: Tier,
    now: datetime,
    validity: timedelta,
) -> bool:
    """Issue the ISP's licence for `tier`, once. Returns whether it was issued now."""
    terms = signed_terms(signer, isp_id=isp_id, tier=tier, now=now, validity=validity)
    issued = await repository.insert_unless_held(
        session,
        licence_id=terms.licence_id,
        isp_id=isp_id,
        tier=tier.value,
        plugins=terms.plugins,
        customer_cap=terms.customer_cap,
        api_rate_per_minute=terms.api_rate_per_minute,
        status=LicenceStatus.ACTIVE.value,
        issued_at=now,
        expires_at=terms.expires_at,
        token=terms.token,
    )
    if not issued:
        return False
    await outbox.add(
        session,
        LicenceIssued(isp_id=isp_id, **vars(terms)),
    )
    return True


async def licence_of(session: AsyncSession, isp_id: UUID, *, for_update: bool = False) -> Licence:
    """The ISP's licence; `for_update` locks it until the transaction ends, so concurrent
    changes to one licence happen one after the other."""
    licence = await repository.of_isp(session, isp_id, for_update=for_update)
    if licence is None:
        raise NotFound(f"ISP {isp_id} holds no licence (it gets one when it becomes active).")
    return licence


async def change_tier(
    session: AsyncSession,
    outbox: Outbox,
    signer: LicenceSigner,
    *,
    isp_id: UUID,
    tier: Tier,
    now: datetime,
    validity: timedelta,
) -> Licence:
    """Replace the ISP's licence with one for `tier`. Moving to the tier it has changes nothing;
    a downgrade below the ISP's customer count is refused, saying by how many. A revoked licence
    cannot change; a suspended one can, and stays suspended (same reason, same time)."""
    licence = await licence_of(session, isp_id, for_update=True)
    if licence.status == LicenceStatus.REVOKED:
        raise RevokedLicence(
            f"ISP {isp_id}'s licence was revoked ({licence.status_reason}); its tier cannot "
            "change. A new licence is needed."
        )
    if licence.tier == tier.value:
        return licence
    cap = spec_of(tier).customer_cap
    customers = await repository.customers_of(session, isp_id) or 0
    if cap is not None and customers > cap:
        raise TierBelowUsage(
            f"This ISP has {customers:,} customers and the {tier.value} tier allows {cap:,}: "
            f"{customers - cap:,} over. Remove customers or choose a larger tier.",
            customers=customers,
            customer_cap=cap,
            over_by=customers - cap,
        )
    previous = licence.tier
    terms = signed_terms(signer, isp_id=isp_id, tier=tier, now=now, validity=validity)
    licence.id, licence.tier, licence.plugins = terms.licence_id, tier.value, terms.plugins
    licence.customer_cap, licence.token = terms.customer_cap, terms.token
    licence.api_rate_per_minute = terms.api_rate_per_minute
    licence.issued_at, licence.expires_at = terms.issued_at, terms.expires_at
    await outbox.add(
        session, LicenceChanged(isp_id=isp_id, previous_tier=Tier(previous), **vars(terms))
    )
    return licence


async def suspend_licence(
    session: AsyncSession, outbox: Outbox, *, isp_id: UUID, reason: str, now: datetime
) -> Licence:
    """Suspend the ISP's licence until it is reinstated. A suspended licence stays as it is
    (first reason, first time); a revoked one cannot be suspended."""
    licence = await licence_of(session, isp_id, for_update=True)
    if licence.status == LicenceStatus.SUSPENDED:
        return licence
    if licence.status == LicenceStatus.REVOKED:
        raise RevokedLicence(
            f"ISP {isp_id}'s licence was revoked ({licence.status_reason}); there is nothing "
            "to suspend. A new licence is needed."
        )
    _set_status(licence, LicenceStatus.SUSPENDED, reason, now)
    await outbox.add(
        session,
        LicenceSuspended(licence_id=licence.id, isp_id=isp_id, reason=reason, suspended_at=now),
    )
    return licence


async def reinstate_licence(
    session: AsyncSession, outbox: Outbox, *, isp_id: UUID, now: datetime
) -> Licence:
    """Put a suspended licence back in force. An active licence stays as it is; a revoked one
    cannot be reinstated."""
    licence = await licence_of(session, isp_id, for_update=True)
    if licence.status == LicenceStatus.ACTIVE:
        return licence
    if licence.status == LicenceStatus.REVOKED:
        raise RevokedLicence(
            f"ISP {isp_id}'s licence was revoked ({licence.status_reason}) and cannot be "
            "reinstated. A new licence is needed."
        )
    _set_status(licence, LicenceStatus.ACTIVE, None, now)
    await outbox.add(
        session, LicenceReinstated(licence_id=licence.id, isp_id=isp_id, reinstated_at=now)
    )
    return licence


async def revoke_licence(
    session: AsyncSession, outbox: Outbox, *, isp_id: UUID, reason: str, now: datetime
) -> Licence:
    """Withdraw the ISP's licence for good, active or suspended. A revoked licence stays as it
    is (first reason, first time)."""
    licence = await licence_of(session, isp_id, for_update=True)
    if licence.status == LicenceStatus.REVOKED:
        return licence
    _set_status(licence, LicenceStatus.REVOKED, reason, now)
    await outbox.add(
        session, LicenceRevoked(licence_id=licence.id, isp_id=isp_id, reason=reason, revoked_at=now)
    )
    return licence


def _set_status(licence: Licence, status: LicenceStatus, reason: str | None, now: datetime) -> None:
    licence.status, licence.status_reason, licence.status_changed_at = status.value, reason, now


async def record_customer_counts(session: AsyncSession, counts: Sequence[CustomerCount]) -> None:
    """Keep each ISP's customer count for tier changes. Counts may arrive out of order: an
    older one than the count kept changes nothing."""
    await repository.record_customer_counts(
        session, [(c.isp_id, c.customers, c.counted_at) for c in counts]
    )
