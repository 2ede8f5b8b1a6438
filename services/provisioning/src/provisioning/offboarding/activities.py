"""The offboarding's activities: the export for the owner, the destruction of what the
onboarding made (through the ISP's own provider, with the same compensations a failed
onboarding runs), and the events that tell the rest of the platform."""

from collections.abc import Awaitable, Callable
from uuid import UUID

from temporalio import activity

from provisioning.clients.tenant_api import TenantApi
from provisioning.errors import ConfigurationError
from provisioning.offboarding import service
from provisioning.offboarding.messages import Exported, Milestone, Offboarding
from provisioning.onboarding import service as onboarding_service
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

    async def _onboarded(self, isp_id: str) -> service.Onboarded:
        async with self._db.unit_of_work() as session:
            return await service.onboarded(session, UUID(isp_id))

    @activity.defn
    async def export_data(self, offboarding: Offboarding) -> Exported:
        onboarded = await self._onboarded(offboarding.isp_id)
        made = await self._tenants.export(UUID(offboarding.isp_id))
        exported = Exported(
            export_id=made["export_id"],
            size_bytes=made["size_bytes"],
            sha256=made["sha256"],
            download_url=f"{onboarded.url}{made['download_path']}",
        )
        async with self._db.unit_of_work() as session:
            await service.tell_owner_of_export(
                session, self._mailer, onboarded.deployment, exported
            )
        return exported

    @activity.defn
    async def destroy(self, offboarding: Offboarding) -> list[str]:
        """Undo the onboarding, last step first: DNS and routing, the tenant and its data, the
        instance and its storage. Each part finds its own resources, so a rerun is harmless."""
        deployment = (await self._onboarded(offboarding.isp_id)).deployment
        provider = self._providers.get(deployment.provider)
        if provider is None:
            raise ConfigurationError(f"provider {deployment.provider!r} is not configured here")
        onboarding = service.as_onboarding(deployment)
        await provider.unconfigure(onboarding)
        await self._tenants.delete(UUID(offboarding.isp_id))
        await provider.deprovision(onboarding)
        async with self._db.unit_of_work() as session:
            await onboarding_service.forget_instance(session, onboarding)
        return service.what_was_destroyed(deployment)

    @activity.defn(name="announce_offboarding")
    async def announce(self, milestone: Milestone) -> None:
        async with self._db.unit_of_work() as session:
            await service.announce(session, self._outbox, milestone)
