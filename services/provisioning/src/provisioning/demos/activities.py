"""The demo lifecycle's activities. A demo is served like a `local` ISP: a tenant of the shared
ISP framework flagged as a demo, routed by the gateway at `<slug>.<base domain>`."""

from collections.abc import Awaitable, Callable
from uuid import UUID

from temporalio import activity

from provisioning.clients.tenant_api import TenantApi
from provisioning.demos import service
from provisioning.demos.messages import Announcement, Demo, Opened, Reminder
from provisioning.onboarding.messages import Onboarding
from provisioning.providers.local import LocalProvider
from servicekit.db import Database
from servicekit.mail import Mailer
from servicekit.outbox import Outbox


def as_onboarding(demo: Demo) -> Onboarding:
    """The demo in the shape the local provider places ISPs in."""
    return Onboarding(
        isp_id=demo.demo_id,
        deployment_id=demo.demo_id,
        slug=demo.slug,
        company_name=demo.company_name,
        tier=demo.tier,
        region="",
        provider="local",
        domain="",
        contact_email=demo.prospect_email,
        contact_name=demo.prospect_name,
    )


class DemoActivities:
    def __init__(
        self,
        *,
        db: Database,
        outbox: Outbox,
        mailer: Mailer,
        tenants: TenantApi,
        serving: LocalProvider,
    ) -> None:
        self._db = db
        self._outbox = outbox
        self._mailer = mailer
        self._tenants = tenants
        self._serving = serving

    def handlers(self) -> list[Callable[..., Awaitable[object]]]:
        """Every activity of this class, for a worker to register."""
        return [self.open_demo, self.remind, self.remove_demo, self.hand_over, self.announce]

    @activity.defn
    async def open_demo(self, demo: Demo) -> Opened:
        """Tenant, route, welcome, sample data: each step finds its own earlier work."""
        onboarding = as_onboarding(demo)
        instance = await self._serving.provision(onboarding)
        await self._tenants.put_tenant(
            UUID(demo.demo_id),
            slug=demo.slug,
            name=demo.company_name,
            tier=demo.tier,
            host=instance.host,
            owner_name=demo.prospect_name,
            owner_email=demo.prospect_email,
            demo=True,
        )
        await self._serving.configure(onboarding, instance)
        await self._tenants.activate(UUID(demo.demo_id))  # the welcome email, once
        await self._tenants.load_demo_data(UUID(demo.demo_id), demo.scenario)
        await self._serving.validate(onboarding, instance)
        return Opened(url=instance.url)

    @activity.defn
    async def remind(self, reminder: Reminder) -> None:
        async with self._db.unit_of_work() as session:
            await service.remind(session, self._mailer, reminder)

    @activity.defn
    async def remove_demo(self, demo: Demo) -> None:
        await self._serving.unconfigure(as_onboarding(demo))
        await self._tenants.delete(UUID(demo.demo_id))

    @activity.defn
    async def hand_over(self, demo: Demo) -> None:
        """The paid ISP's onboarding takes the tenant (and its data) under its own name and
        host; the demo's address stops answering."""
        await self._serving.unconfigure(as_onboarding(demo))

    @activity.defn(name="announce_demo")
    async def announce(self, announcement: Announcement) -> None:
        async with self._db.unit_of_work() as session:
            await service.announce(session, self._outbox, announcement)
