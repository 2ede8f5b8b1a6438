"""An ISP whose tenant becomes active gets its licence; its customer count is kept for tier
changes."""

import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts import CloudEvent
from dotmac_contracts.events import (
    CustomersCounted,
    DemoRemoved,
    IspRegistered,
    OffboardingCompleted,
    TenantActivated,
)
from licensing.licences.service import (
    TierBelowUsage,
    change_tier,
    issue_licence,
    record_customer_count,
    revoke_licence,
)
from licensing.licences.signing import LicenceSigner
from servicekit.consumer import Subscription
from servicekit.outbox import Outbox
from servicekit.problems import NotFound

log = logging.getLogger(__name__)


def licence_subscriptions(
    *, outbox: Outbox, signer: LicenceSigner, validity: timedelta
) -> list[Subscription]:
    async def on_tenant_activated(session: AsyncSession, e: TenantActivated, _: CloudEvent) -> None:
        await issue_licence(
            session,
            outbox,
            signer,
            isp_id=e.isp_id,
            tier=e.tier,
            now=e.activated_at,
            validity=validity,
        )

    async def on_isp_registered(session: AsyncSession, e: IspRegistered, _: CloudEvent) -> None:
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

    async def on_isp_gone(
        session: AsyncSession, e: OffboardingCompleted | DemoRemoved, _: CloudEvent
    ) -> None:
        """An ISP offboarded, or a demo removed: its licence is revoked, so no copy of its
        token still verifies as in force."""
        at = e.completed_at if isinstance(e, OffboardingCompleted) else e.removed_at
        reason = "offboarded" if isinstance(e, OffboardingCompleted) else "demo removed"
        try:
            await revoke_licence(session, outbox, isp_id=e.isp_id, reason=reason, now=at)
        except NotFound:
            pass  # it never held one

    async def on_customers_counted(
        session: AsyncSession, e: CustomersCounted, _: CloudEvent
    ) -> None:
        await record_customer_count(
            session, isp_id=e.isp_id, customers=e.customers, counted_at=e.counted_at
        )

    return [
        Subscription(TenantActivated, on_tenant_activated),
        Subscription(CustomersCounted, on_customers_counted),
        Subscription(IspRegistered, on_isp_registered),
        Subscription(OffboardingCompleted, on_isp_gone),
        Subscription(DemoRemoved, on_isp_gone),
    ]
