from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, status

from servicekit.http import RuntimeDep
from tenant_api.auth.roles import Permission
from tenant_api.customers import service
from tenant_api.customers.schemas import (
    CustomerCreate,
    CustomerPage,
    CustomerRead,
    Limit,
    Offset,
)
from tenant_api.deps import Caller, EntitlementsDep, require, require_plugin

router = APIRouter(
    prefix="/api/v1/customers",
    tags=["customers"],
    dependencies=[require_plugin("customer_management")],
)
Reader = Annotated[Caller, require(Permission.CUSTOMERS_READ)]
Writer = Annotated[Caller, require(Permission.CUSTOMERS_WRITE)]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    403: {"description": "Not allowed, plugin missing, or licence suspended"},
    429: {"description": "The ISP's API rate is spent (API keys)"},
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={**ERRORS, 403: {"description": "Not allowed, or the tier's customer cap reached"}},
)
async def create_customer(
    spec: CustomerCreate, caller: Writer, runtime: RuntimeDep, entitlements: EntitlementsDep
) -> CustomerRead:
    """Add a customer. Refused once the ISP has as many as its tier allows."""
    grant = entitlements.grant(caller.tenant_id)
    async with runtime.db.unit_of_work(tenant=caller.tenant_id) as session:
        customer = await service.create_customer(
            session,
            runtime.outbox,
            caller.tenant_id,
            spec,
            tier=grant.tier if grant else None,
            cap=grant.customer_cap if grant else 0,
            now=datetime.now(UTC),
        )
        return CustomerRead.model_validate(customer, from_attributes=True)


@router.get("", responses=ERRORS)
async def list_customers(
    caller: Reader,
    runtime: RuntimeDep,
    limit: Annotated[Limit, Query()] = 50,
    offset: Annotated[Offset, Query()] = 0,
) -> CustomerPage:
    """The ISP's customers by account number, a page at a time."""
    async with runtime.db.unit_of_work(tenant=caller.tenant_id) as session:
        rows, total = await service.list_customers(session, limit=limit, offset=offset)
        return CustomerPage(
            customers=[CustomerRead.model_validate(r, from_attributes=True) for r in rows],
            total=total,
            limit=limit,
            offset=offset,
        )


@router.get("/{customer_id}", responses={**ERRORS, 404: {"description": "No such customer"}})
async def get_customer(customer_id: UUID, caller: Reader, runtime: RuntimeDep) -> CustomerRead:
    async with runtime.db.unit_of_work(tenant=caller.tenant_id) as session:
        customer = await service.get_customer(session, customer_id)
        return CustomerRead.model_validate(customer, from_attributes=True)
