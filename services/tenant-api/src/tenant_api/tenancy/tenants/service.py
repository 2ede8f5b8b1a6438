"""The ISPs' tenants: created (or confirmed) and opened by provisioning, a demo's converted
into the paid ISP's, dropped as an onboarding's compensation, and which one a host names."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.events import TenantActivated, TenantUsed
from servicekit.outbox import Outbox
from servicekit.problems import Conflict, NotFound
from tenant_api.identity.auth.welcome import Welcome
from tenant_api.models import Tenant
from tenant_api.tenancy.tenants import repository
from tenant_api.tenancy.tenants.schemas import TenantSpec, TenantStatus

TENANT_CHANGED = "tenant_changed"
"""NOTIFY channel on which the database announces each tenant row updated or deleted (payload:
its id; a trigger, migration 0009). Each replica's tenant directory forgets it, and with it the
tenant's placement."""


async def put_tenant(
    session: AsyncSession, tenant_id: UUID, spec: TenantSpec, *, data_schema: str | None = None
) -> tuple[Tenant, bool]:
    """Create the tenant (its data in `data_schema` if it has a silo), or confirm it exists as
    specified. Returns (tenant, created)."""
    existing = await repository.get(session, tenant_id)
    if existing is not None and existing.demo and not spec.demo:
        return await _convert_demo(session, existing, spec), False
    if existing is not None:
        if (existing.slug, existing.host, existing.isolation) != (
            spec.slug,
            spec.host,
            spec.isolation,
        ):
            raise Conflict(f"Tenant {tenant_id} exists with another slug, host or isolation.")
        return existing, False
    if await repository.slug_or_host_taken(session, spec.slug, spec.host):
        raise Conflict(f"The slug {spec.slug} or host {spec.host} belongs to another tenant.")
    tenant = Tenant(
        id=tenant_id,
        slug=spec.slug,
        name=spec.name,
        tier=spec.tier.value,
        host=spec.host,
        status=TenantStatus.INITIALIZING.value,
        owner_name=spec.owner.name if spec.owner else None,
        owner_email=str(spec.owner.email).lower() if spec.owner else None,
        created_at=datetime.now(UTC),
        data_schema=data_schema,
        demo=spec.demo,
    )
    session.add(tenant)
    await session.flush()
    return tenant, True


async def _convert_demo(session: AsyncSession, demo: Tenant, spec: TenantSpec) -> Tenant:
    """The prospect became a paid ISP: its demo tenant, data and all, becomes the ISP's."""
    if await repository.slug_or_host_taken(session, spec.slug, spec.host, besides=demo.id):
        raise Conflict(f"The slug {spec.slug} or host {spec.host} belongs to another tenant.")
    demo.slug, demo.host, demo.name, demo.tier = spec.slug, spec.host, spec.name, spec.tier.value
    demo.demo = False
    await session.flush()
    return demo


USE_GRANULARITY = timedelta(hours=1)


async def record_use(
    session: AsyncSession, outbox: Outbox, tenant_id: UUID, *, now: datetime
) -> bool:
    """A demo tenant was signed in to: announce it (TenantUsed, at most once an hour) so its
    lifecycle extends it. Other tenants are not tracked. True if announced."""
    if not await repository.mark_demo_used(
        session, tenant_id, now=now, unless_since=now - USE_GRANULARITY
    ):
        return False
    await outbox.add(session, TenantUsed(isp_id=tenant_id, used_at=now))
    return True


async def activate(
    session: AsyncSession, outbox: Outbox, tenant_id: UUID, *, welcome: Welcome
) -> Tenant:
    """Open the tenant to its users, once: its owner account is created and invited."""
    tenant = await repository.get_for_update(session, tenant_id)
    if tenant is None:
        raise NotFound(f"No tenant {tenant_id}.")
    if tenant.status != TenantStatus.ACTIVE:
        tenant.status = TenantStatus.ACTIVE.value
        tenant.activated_at = datetime.now(UTC)
        if tenant.owner_email:
            await welcome.invite_owner(session, tenant, now=tenant.activated_at)
        await outbox.add(
            session,
            TenantActivated(
                isp_id=tenant.id,
                slug=tenant.slug,
                tier=tenant.tier,
                host=tenant.host,
                activated_at=tenant.activated_at,
            ),
        )
    return tenant


async def drop(session: AsyncSession, tenant_id: UUID) -> Tenant | None:
    """Delete the tenant and, with it, its rows in the shared tables. Returns what was dropped
    (its silo, if any, is the caller's to drop once this commits)."""
    tenant = await repository.get(session, tenant_id)
    if tenant is None:
        return None
    await repository.delete(session, tenant)
    return tenant


def host_of(header: str | None) -> str:
    return (header or "").split(":", 1)[0].strip().lower().removesuffix(".")


async def at_host(session: AsyncSession, host_header: str | None) -> Tenant | None:
    """The tenant whose host the request came to (through the gateway), if any."""
    host = host_of(host_header)
    if not host:
        return None
    return await repository.at_host(session, host)


async def exists(session: AsyncSession, tenant_id: UUID) -> bool:
    """Whether the tenant was created already (a repeated put makes no second silo)."""
    return await repository.get(session, tenant_id) is not None
