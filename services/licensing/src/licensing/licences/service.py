import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.events import LicenceChanged, LicenceIssued
from dotmac_contracts.vocabulary import Tier
from licensing.catalogue.tiers import plugins_of, spec_of
from licensing.licences.signing import LicenceSigner
from licensing.models import CustomerCount, Licence
from servicekit.outbox import Outbox
from servicekit.problems import Conflict, NotFound


class TierBelowUsage(Conflict):
    title = "Tier too small"
    slug = "tier-below-usage"


@dataclass(frozen=True)
class Terms:
    """A licence's content for a tier, signed."""

    licence_id: UUID
    tier: Tier
    plugins: list[str]
    customer_cap: int | None
    issued_at: datetime
    expires_at: datetime
    token: str


def signed_terms(
    signer: LicenceSigner, *, isp_id: UUID, tier: Tier, now: datetime, validity: timedelta
) -> Terms:
    licence_id, plugins, cap = uuid.uuid4(), list(plugins_of(tier)), spec_of(tier).customer_cap
    token = signer.sign(
        licence_id=licence_id,
        isp_id=isp_id,
        tier=tier.value,
        plugins=plugins,
        customer_cap=cap,
        issued_at=now,
        expires_at=now + validity,
    )
    return Terms(licence_id, tier, plugins, cap, now, now + validity, token)


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
    issued = await session.execute(
        insert(Licence)
        .values(
            id=terms.licence_id,
            isp_id=isp_id,
            tier=tier.value,
            plugins=terms.plugins,
            customer_cap=terms.customer_cap,
            status="active",
            issued_at=now,
            expires_at=terms.expires_at,
            token=terms.token,
        )
        .on_conflict_do_nothing(index_elements=[Licence.isp_id])
        .returning(Licence.id)
    )
    if issued.first() is None:
        return False
    await outbox.add(
        session,
        LicenceIssued(isp_id=isp_id, **vars(terms)),
    )
    return True


async def licence_of(session: AsyncSession, isp_id: UUID) -> Licence:
    licence = (
        await session.execute(select(Licence).where(Licence.isp_id == isp_id))
    ).scalar_one_or_none()
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
    a downgrade below the ISP's customer count is refused, saying by how many."""
    licence = (
        await session.execute(select(Licence).where(Licence.isp_id == isp_id).with_for_update())
    ).scalar_one_or_none()
    if licence is None:
        raise NotFound(f"ISP {isp_id} holds no licence to change (it gets one when active).")
    if licence.tier == tier.value:
        return licence
    cap = spec_of(tier).customer_cap
    counted = await session.get(CustomerCount, isp_id)
    customers = counted.customers if counted else 0
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
    licence.issued_at, licence.expires_at = terms.issued_at, terms.expires_at
    await outbox.add(
        session, LicenceChanged(isp_id=isp_id, previous_tier=Tier(previous), **vars(terms))
    )
    return licence


async def record_customer_count(
    session: AsyncSession, *, isp_id: UUID, customers: int, counted_at: datetime
) -> None:
    statement = insert(CustomerCount).values(
        isp_id=isp_id, customers=customers, counted_at=counted_at
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[CustomerCount.isp_id],
            set_={"customers": customers, "counted_at": counted_at},
            where=CustomerCount.counted_at <= statement.excluded.counted_at,
        )
    )
