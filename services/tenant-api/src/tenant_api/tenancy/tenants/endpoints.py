from collections.abc import Callable
from uuid import UUID

from fastapi import APIRouter, Depends, Response, status

from servicekit.http import RuntimeDep
from tenant_api.deps import CurrentTenant, TenantApiDep
from tenant_api.models import Tenant
from tenant_api.tenancy.placement import create_silo, drop_silo
from tenant_api.tenancy.tenants import service
from tenant_api.tenancy.tenants.schemas import TenantHealth, TenantRead, TenantSpec, TenantStatus

public = APIRouter(prefix="/api/v1/tenant", tags=["tenant"])


def read(tenant: Tenant) -> TenantRead:
    return TenantRead.model_validate(tenant, from_attributes=True)


@public.get("", responses={404: {"description": "No ISP answers at this host"}})
async def get_current_tenant(tenant: CurrentTenant) -> TenantRead:
    """The ISP this host belongs to (`<slug>.localhost` in development)."""
    return read(tenant)


@public.get("/health", responses={404: {"description": "No ISP answers at this host"}})
async def tenant_health(tenant: CurrentTenant) -> TenantHealth:
    """Answers 200 once the ISP's tenant exists; onboarding's validation step calls it."""
    return TenantHealth(
        tenant_id=str(tenant.id), slug=tenant.slug, tenant_status=TenantStatus(tenant.status)
    )


def internal_router(caller: Callable[..., None]) -> APIRouter:
    """Service-to-service routes; the gateway does not expose them."""
    router = APIRouter(
        prefix="/internal/v1/tenants", tags=["internal"], dependencies=[Depends(caller)]
    )

    @router.put(
        "/{tenant_id}", responses={409: {"description": "Slug or host belongs to another tenant"}}
    )
    async def put_tenant(
        tenant_id: UUID,
        spec: TenantSpec,
        runtime: RuntimeDep,
        tenant_api: TenantApiDep,
        response: Response,
    ) -> TenantRead:
        """Create an ISP's tenant (idempotent: a repeat with the same spec answers 200). With
        `isolation: silo` (enterprise), its data gets a schema of its own."""
        owner_url = tenant_api.settings.platform.database_url
        silo = None
        if spec.isolation == "silo":
            async with runtime.db.unit_of_work() as session:
                if not await service.exists(session, tenant_id):
                    silo = await create_silo(owner_url, tenant_id)
        try:
            async with runtime.db.unit_of_work() as session:
                tenant, created = await service.put_tenant(
                    session, tenant_id, spec, data_schema=silo
                )
                answer = read(tenant)
        except Exception:
            if silo is not None:  # made for a tenant that was refused: leave nothing behind
                await drop_silo(owner_url, silo)
            raise
        response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return answer

    @router.post("/{tenant_id}/activate", responses={404: {"description": "No such tenant"}})
    async def activate(
        tenant_id: UUID, runtime: RuntimeDep, tenant_api: TenantApiDep
    ) -> TenantRead:
        """Open the tenant to its users; the first time, its owner is invited by email and
        TenantActivated is published."""
        async with runtime.db.unit_of_work(tenant=tenant_id) as session:
            tenant = await service.activate(
                session, runtime.outbox, tenant_id, welcome=tenant_api.welcome
            )
            return read(tenant)

    @router.delete("/{tenant_id}", status_code=status.HTTP_204_NO_CONTENT)
    async def drop(tenant_id: UUID, runtime: RuntimeDep, tenant_api: TenantApiDep) -> None:
        """Remove a tenant and all its data (an onboarding's compensation). Idempotent."""
        async with runtime.db.unit_of_work() as session:
            dropped = await service.drop(session, tenant_id)
        if dropped is not None and dropped.data_schema:
            await drop_silo(tenant_api.settings.platform.database_url, dropped.data_schema)

    return router
