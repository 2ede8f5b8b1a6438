"""An ISP whose tenant becomes active gets its licence; its customer count is kept for tier
changes."""

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts import CloudEvent
from dotmac_contracts.events import CustomersCounted, TenantActivated
from licensing.licences.service import issue_licence, record_customer_count
from licensing.licences.signing import LicenceSigner
from servicekit.consumer import Subscription
from servicekit.outbox import Outbox


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

    async def on_customers_counted(
        session: AsyncSession, e: CustomersCounted, _: CloudEvent
    ) -> None:
        await record_customer_count(
            session, isp_id=e.isp_id, customers=e.customers, counted_at=e.counted_at
        )

    return [
        Subscription(TenantActivated, on_tenant_activated),
        Subscription(CustomersCounted, on_customers_counted),
    ]
