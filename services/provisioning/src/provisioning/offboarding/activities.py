"""The offboarding's activities: the export for the owner, the destruction of what the
onboarding made (through the ISP's own provider, with the same compensations a failed
onboarding runs), and the events that tell the rest of the platform."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, select, update
from temporalio import activity

from dotmac_contracts.events import (
    DataExported,
    OffboardingCompleted,
    OffboardingStarted,
    OffboardingStopped,
)
from dotmac_contracts.registry import IspEvent
from dotmac_contracts.vocabulary import DeploymentState
from provisioning.clients.tenant_api import TenantApi
from provisioning.errors import ConfigurationError
from provisioning.models import Deployment, Instance
from provisioning.offboarding.messages import Exported, Milestone, Offboarding
from provisioning.onboarding.messages import Onboarding
from provisioning.providers import Provider
from servicekit.db import Database
from servicekit.mail import Mailer
from servicekit.outbox import Outbox


class OffboardingActivities:
    def __init__(
        self,
        *,
        db: Database,
        outbox: Outbox,
        mailer: Mailer,
        providers: dict[str, Provider],
        tenants: TenantApi,
    ) -> None:
        self._db = db
        self._outbox = outbox
        self._mailer = mailer
        self._providers = providers
        self._tenants = tenants

    def handlers(self) -> list[Callable[..., Awaitable[object]]]:
        """Every activity of this class, for a worker to register."""
        return [self.export_data, self.destroy, self.announce]

    async def _deployment(self, isp_id: str) -> tuple[Deployment, str]:
        async with self._db.unit_of_work() as session:
            deployment = (
                await session.execute(select(Deployment).where(Deployment.isp_id == UUID(isp_id)))
            ).scalar_one_or_none()
            url = await session.scalar(select(Instance.url).where(Instance.isp_id == UUID(isp_id)))
        if deployment is None:
            raise ConfigurationError(f"ISP {isp_id} was never onboarded here: nothing to offboard")
        return deployment, url or ""

    @activity.defn
    async def export_data(self, offboarding: Offboarding) -> Exported:
        deployment, url = await self._deployment(offboarding.isp_id)
        made = await self._tenants.export(UUID(offboarding.isp_id))
        exported = Exported(
            export_id=made["export_id"],
            size_bytes=made["size_bytes"],
            sha256=made["sha256"],
            download_url=f"{url}{made['download_path']}",
        )
        async with self._db.unit_of_work() as session:
            await self._mailer.queue(
                session,
                to=deployment.contact_email,
                subject=f"Your {deployment.company_name} data, before your DotMac service ends",
                body=(
                    f"Your cancellation of {deployment.company_name}'s DotMac service has been "
                    "received.\n\nAll your data (customers, plans, subscriptions, tickets, "
                    "devices) is in one archive; sign in as the owner and download it from:\n\n"
                    f"    {exported.download_url}\n\n"
                    f"SHA-256: {exported.sha256}\n\n"
                    "Your service keeps running until the end of the grace period; you can "
                    "retract the cancellation until then from your admin.\n"
                ),
            )
        return exported

    @activity.defn
    async def destroy(self, offboarding: Offboarding) -> list[str]:
        """Undo the onboarding, last step first: DNS and routing, the tenant and its data, the
        instance and its storage. Each part finds its own resources, so a rerun is harmless."""
        deployment, _ = await self._deployment(offboarding.isp_id)
        provider = self._providers.get(deployment.provider)
        if provider is None:
            raise ConfigurationError(f"provider {deployment.provider!r} is not configured here")
        onboarding = Onboarding(
            isp_id=offboarding.isp_id,
            deployment_id=str(deployment.id),
            slug=deployment.slug,
            company_name=deployment.company_name,
            tier=deployment.tier,
            region=deployment.region,
            provider=deployment.provider,
            domain=deployment.domain,
            contact_email=deployment.contact_email,
        )
        await provider.unconfigure(onboarding)
        await self._tenants.delete(UUID(offboarding.isp_id))
        await provider.deprovision(onboarding)
        async with self._db.unit_of_work() as session:
            await session.execute(
                delete(Instance).where(Instance.isp_id == UUID(offboarding.isp_id))
            )
        return [
            f"{deployment.provider} DNS and routing of {deployment.slug}",
            "the tenant and all its data",
            f"the {deployment.provider} instance and its storage",
        ]

    @activity.defn(name="announce_offboarding")
    async def announce(self, milestone: Milestone) -> None:
        isp_id, at = UUID(milestone.isp_id), datetime.fromisoformat(milestone.at)
        event: IspEvent
        state: DeploymentState | None = None
        match milestone.kind:
            case "started":
                event = OffboardingStarted(
                    isp_id=isp_id, delete_at=datetime.fromisoformat(milestone.until), started_at=at
                )
                state = DeploymentState.OFFBOARDING
            case "exported":
                assert milestone.export is not None
                event = DataExported(
                    isp_id=isp_id,
                    export_id=UUID(milestone.export.export_id),
                    size_bytes=milestone.export.size_bytes,
                    sha256=milestone.export.sha256,
                    exported_at=at,
                )
            case "stopped":
                event = OffboardingStopped(isp_id=isp_id, stopped_at=at)
                state = DeploymentState.ACTIVE
            case "completed":
                event = OffboardingCompleted(
                    isp_id=isp_id, destroyed=list(milestone.destroyed), completed_at=at
                )
                state = DeploymentState.DELETED
            case _:
                raise ValueError(f"no offboarding event {milestone.kind!r}")
        async with self._db.unit_of_work() as session:
            if state is not None:
                await session.execute(
                    update(Deployment)
                    .where(Deployment.isp_id == isp_id)
                    .values(state=state.value, updated_at=at)
                )
            await self._outbox.add(session, event)
