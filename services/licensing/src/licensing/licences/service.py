import uuid
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.events import LicenceIssued
from dotmac_contracts.vocabulary import Tier
from licensing.catalogue.tiers import plugins_of, spec_of
from licensing.licences.signing import LicenceSigner
from licensing.models import Licence
from servicekit.outbox import Outbox
from servicekit.problems import NotFound


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
