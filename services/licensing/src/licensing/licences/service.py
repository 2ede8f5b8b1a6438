import uuid
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
    licence_id = uuid.uuid4()
    plugins = list(plugins_of(tier))
    cap = spec_of(tier).customer_cap
    expires_at = now + validity
    token = signer.sign(
        licence_id=licence_id,
        isp_id=isp_id,
        tier=tier.value,
        plugins=plugins,
        customer_cap=cap,
        issued_at=now,
        expires_at=expires_at,
    )
    issued = await session.execute(
        insert(Licence)
        .values(
            id=licence_id,
            isp_id=isp_id,
            tier=tier.value,
            plugins=plugins,
            customer_cap=cap,
            status="active",
            issued_at=now,
            expires_at=expires_at,
            token=token,
        )
        .on_conflict_do_nothing(index_elements=[Licence.isp_id])
        .returning(Licence.id)
    )
    if issued.first() is None:
        return False
    await outbox.add(
        session,
        LicenceIssued(
            licence_id=licence_id,
            isp_id=isp_id,
            tier=tier,
            plugins=plugins,
            customer_cap=cap,
            issued_at=now,
            expires_at=expires_at,
            token=token,
        ),
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
    licence.id = uuid.uuid4()
    licence.tier = tier.value
    licence.plugins = list(plugins_of(tier))
    licence.customer_cap = cap
    licence.issued_at = now
    licence.expires_at = now + validity
    licence.token = signer.sign(
        licence_id=licence.id,
        isp_id=isp_id,
        tier=tier.value,
        plugins=licence.plugins,
        customer_cap=cap,
        issued_at=now,
        expires_at=licence.expires_at,
    )
    await outbox.add(
        session,
        LicenceChanged(
            licence_id=licence.id,
            isp_id=isp_id,
            previous_tier=Tier(previous),
            tier=tier,
            plugins=licence.plugins,
            customer_cap=cap,
            issued_at=now,
            expires_at=licence.expires_at,
            token=licence.token,
        ),
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
