from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict, Field

from dotmac_contracts.vocabulary import Plugin
from tenant_api.composition import TenantApi
from tenant_api.customers.service import cap_of
from tenant_api.demo import loader, scenarios
from tenant_api.deps import ERRORS, NamedTenant, TenantApiDep, require_person
from tenant_api.identity.auth.roles import Permission
from tenant_api.identity.auth.tokens import AccessClaims
from tenant_api.messagebus import UnitOfWork

ScenarioName = Literal["small", "medium", "enterprise"]
Manager = Annotated[AccessClaims, require_person(Permission.USERS_MANAGE)]


class DemoDataRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"scenario": "small"}]}
    )

    scenario: ScenarioName = Field(
        description="small: 50 customers, 3 months; medium: 500, 12 months, resellers; "
        "enterprise: 2,400, 24 months, a multi-site network"
    )


class DemoDataLoaded(BaseModel):
    scenario: str
    anchor: date = Field(description="the day the sample history runs up to")
    plans: int
    customers: int
    subscriptions: int
    devices: int
    tickets: int
    automations: int = Field(description="automation rules (they run with advanced_automation)")
    bill_runs: int = Field(default=0, description="periods billed by real bill runs (medium)")
    invoices: int = 0
    payments: int = 0


REFUSED = {
    **ERRORS,
    403: {"description": "Not an owner or admin, or the scenario passes the customer cap"},
    409: {"description": "The ISP has data of its own already"},
}
router = APIRouter(prefix="/api/v1/demo-data", tags=["demo data"])


async def load_into(
    tenant_api: TenantApi, tenant_id: UUID, scenario: str, now: datetime
) -> DemoDataLoaded:
    built = scenarios.build(scenario, now.date())
    entitlements, runtime = tenant_api.entitlements, tenant_api.runtime
    async with runtime.db.unit_of_work(tenant=tenant_id) as session:
        loaded = await loader.load(
            UnitOfWork(session, tenant_id, tenant_api.bus, now),
            runtime.outbox,
            tenant_api.sealer,
            built,
            cap=cap_of(entitlements, tenant_id),
            sla=entitlements.allows(tenant_id, Plugin.SLA_MANAGEMENT),
            fleet=tenant_api.settings.demo_snmp_fleet,
        )
    return DemoDataLoaded.model_validate(loaded, from_attributes=True)


@router.post("", status_code=status.HTTP_201_CREATED, responses=REFUSED)
async def load_demo_data(
    spec: DemoDataRequest,
    user: Manager,
    tenant_api: TenantApiDep,
) -> DemoDataLoaded:
    """Fill this (empty) ISP with a sample business: plans, customers with their history,
    subscriptions, devices and tickets. The same scenario always gives the same data, dated up
    to today."""
    return await load_into(tenant_api, user.tenant_id, spec.scenario, datetime.now(UTC))


def internal_router(caller: Callable[..., None]) -> APIRouter:
    """For the control plane's demo lifecycle: load sample data into a demo tenant."""
    internal = APIRouter(
        prefix="/internal/v1/tenants", tags=["internal"], dependencies=[Depends(caller)]
    )

    @internal.post(
        "/{tenant_id}/demo-data",
        status_code=status.HTTP_201_CREATED,
        responses={404: {"description": "No such tenant"}, **REFUSED},
    )
    async def load_for_tenant(
        tenant: NamedTenant, spec: DemoDataRequest, tenant_api: TenantApiDep
    ) -> DemoDataLoaded:
        return await load_into(tenant_api, tenant.id, spec.scenario, datetime.now(UTC))

    return internal
