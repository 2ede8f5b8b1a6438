"""An ISP whose tenant becomes active gets its licence."""

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts import CloudEvent
from dotmac_contracts.events import TenantActivated
from licensing.licences.service import issue_licence
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

    return [Subscription(TenantActivated, on_tenant_activated)]
