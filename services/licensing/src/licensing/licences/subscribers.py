"""An ISP whose tenant becomes active gets its licence; its customer count is kept for tier
changes."""

import logging
from datetime import datetime, timedelta
from typing import Annotated
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.events import (
    BillingStatusChanged,
    BillingTierChanged,
    CustomersCounted,
    DemoRemoved,
    IspRegistered,
    OffboardingCompleted,
    TenantActivated,
)
from licensing.licences.service import (
    RevokedLicence,
    TierBelowUsage,
    change_tier,
    issue_licence,
    record_customer_counts,
    reinstate_licence,
    revoke_licence,
    suspend_licence,
)
from licensing.licences.signing import LicenceSigner
from servicekit.outbox import Outbox
from servicekit.problems import NotFound
from servicekit.stream import ContextValue, EventOutbox, Session

log = logging.getLogger(__name__)

Signer = Annotated[LicenceSigner, ContextValue("licence_signer")]
Validity = Annotated[timedelta, ContextValue("licence_validity")]


async def on_tenant_activated(
    e: TenantActivated, session: Session, outbox: EventOutbox, signer: Signer, validity: Validity
) -> None:
    await issue_licence(
        session,
        outbox,
        signer,
        isp_id=e.isp_id,
        tier=e.tier,
        now=e.activated_at,
        validity=validity,
    )


async def on_isp_registered(
    e: IspRegistered, session: Session, outbox: EventOutbox, signer: Signer, validity: Validity
) -> None:
    """A converted demo keeps the licence its demo tenant got, moved to the tier the ISP
    signed up for (other ISPs get theirs when their tenant opens)."""
    if not e.from_demo:
        return
    try:
        await change_tier(
            session,
            outbox,
            signer,
            isp_id=e.isp_id,
            tier=e.tier,
            now=e.registered_at,
            validity=validity,
        )
    except TierBelowUsage:
        log.warning(
            "converted demo %s keeps its demo tier: its sample customers exceed %s",
            e.isp_id,
            e.tier.value,
        )


async def on_offboarded(e: OffboardingCompleted, session: Session, outbox: EventOutbox) -> None:
    """An ISP offboarded: its licence is revoked, so no copy of its token still verifies as
    in force."""
    await _revoke(session, outbox, e.isp_id, reason="offboarded", at=e.completed_at)


async def on_demo_removed(e: DemoRemoved, session: Session, outbox: EventOutbox) -> None:
    """A demo removed: as an ISP offboarded."""
    await _revoke(session, outbox, e.isp_id, reason="demo removed", at=e.removed_at)


async def _revoke(
    session: AsyncSession, outbox: Outbox, isp_id: UUID, *, reason: str, at: datetime
) -> None:
    try:
        await revoke_licence(session, outbox, isp_id=isp_id, reason=reason, now=at)
    except NotFound:
        pass  # it never held one


async def on_customers_counted(e: CustomersCounted, session: Session) -> None:
    await record_customer_counts(session, e.counts)


async def on_billing_moved(e: BillingStatusChanged, session: Session, outbox: EventOutbox) -> None:
    """Unpaid past dunning's suspension day, the ISP's licence is suspended (its instance turns
    read-only); paid again, it is reinstated. Other moves leave the licence as it is."""
    try:
        if e.status == "suspended":
            await suspend_licence(
                session, outbox, isp_id=e.isp_id, reason=f"billing: {e.reason}", now=e.changed_at
            )
        elif e.status == "active" and e.previous == "suspended":
            await reinstate_licence(session, outbox, isp_id=e.isp_id, now=e.changed_at)
    except (NotFound, RevokedLicence):
        pass  # no licence, or one withdrawn for good: nothing to suspend or reinstate


async def on_tier_paid(
    e: BillingTierChanged, session: Session, outbox: EventOutbox, signer: Signer, validity: Validity
) -> None:
    """Stripe confirmed the ISP's move to another tier: it gets that tier's licence. Billing
    refused the move beforehand if the ISP's customers did not fit; should they have grown in
    between, licensing's rule still holds and the licence stays as it is (logged, for the
    operator to settle with the ISP)."""
    try:
        await change_tier(
            session,
            outbox,
            signer,
            isp_id=e.isp_id,
            tier=e.tier,
            now=e.changed_at,
            validity=validity,
        )
    except TierBelowUsage as refused:
        log.warning("ISP %s paid for the %s tier but stays: %s", e.isp_id, e.tier, refused)
    except (NotFound, RevokedLicence):
        pass  # no licence, or one withdrawn for good: nothing to change


SUBSCRIBERS = (
    on_billing_moved,
    on_tier_paid,
    on_tenant_activated,
    on_customers_counted,
    on_isp_registered,
    on_offboarded,
    on_demo_removed,
)
