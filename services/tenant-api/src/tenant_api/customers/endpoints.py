from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, status
from fastapi.responses import Response

from dotmac_contracts.vocabulary import Plugin
from servicekit.http import ModelResponse
from tenant_api.customers import service
from tenant_api.customers.schemas import (
    CustomerCreate,
    CustomerKind,
    CustomerPage,
    CustomerRead,
    CustomerSort,
    CustomerStatus,
    CustomerUpdate,
    NoteCreate,
    NoteList,
    NoteRead,
    StatusChange,
    StatusChangeRead,
    StatusHistory,
    Tag,
)
from tenant_api.deps import (
    ERRORS,
    NOT_FOUND,
    Caller,
    EntitlementsDep,
    TenantSession,
    TenantWork,
    require,
    require_plugin,
)
from tenant_api.identity.auth.roles import Permission
from tenant_api.listing import CSV_RESPONSE, PagingDep, SearchText, csv_response

router = APIRouter(
    prefix="/api/v1/customers",
    tags=["customers"],
    dependencies=[require_plugin(Plugin.CUSTOMER_MANAGEMENT)],
    responses=ERRORS,
)
Reader = Annotated[Caller, require(Permission.CUSTOMERS_READ)]
Writer = Annotated[Caller, require(Permission.CUSTOMERS_WRITE)]


def read(customer: Any) -> CustomerRead:
    return CustomerRead.model_validate(customer, from_attributes=True)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CustomerRead,
    responses={
        403: {"description": "Not allowed, or the tier's customer cap reached"},
        409: {"description": "The account number is already a customer's"},
    },
)
async def create_customer(
    spec: CustomerCreate,
    caller: Writer,
    work: TenantWork,
    entitlements: EntitlementsDep,
) -> Response:
    """Add a customer. Refused once the ISP has as many as its tier allows."""
    cap = service.cap_of(entitlements, caller.tenant_id)
    customer = await service.create_customer(work, spec, cap=cap, by=caller.reference)
    return ModelResponse(read(customer), status.HTTP_201_CREATED)


@router.get("", responses=CSV_RESPONSE, response_model=CustomerPage)
async def list_customers(
    caller: Reader,
    session: TenantSession,
    paging: PagingDep,
    q: Annotated[
        SearchText | None,
        Query(description="any part of the name, email, phone, account number or address"),
    ] = None,
    status: Annotated[list[CustomerStatus] | None, Query(max_length=4)] = None,
    kind: CustomerKind | None = None,
    tag: Annotated[list[Tag] | None, Query(max_length=20, description="has every tag")] = None,
    reseller_id: UUID | None = None,
    created_from: date | None = None,
    created_to: date | None = None,
    sort: CustomerSort = CustomerSort.ACCOUNT_NUMBER,
) -> Response:
    """Find customers: every filter given must match. A page at a time, or all as CSV."""
    query = service.search(
        q=q,
        status=status,
        kind=kind,
        tags=tag,
        reseller_id=reseller_id,
        created_from=created_from,
        created_to=created_to,
        sort=sort,
    )
    rows, total = await paging.fetch_mappings(session, query)
    page = paging.page(CustomerPage, [CustomerRead.model_validate(r) for r in rows], total)
    return csv_response(page.items, "customers") if paging.export else ModelResponse(page)


@router.get("/{customer_id}", responses=NOT_FOUND, response_model=CustomerRead)
async def get_customer(customer_id: UUID, caller: Reader, session: TenantSession) -> Response:
    customer = await service.read_customer(session, customer_id)
    return ModelResponse(CustomerRead.model_validate(customer))


@router.patch("/{customer_id}", responses=NOT_FOUND)
async def update_customer(
    customer_id: UUID, change: CustomerUpdate, caller: Writer, work: TenantWork
) -> CustomerRead:
    """Change a customer's details (not its status: see `/status`)."""
    return read(await service.update_customer(work.session, customer_id, change, now=work.now))


@router.post(
    "/{customer_id}/status",
    responses={**NOT_FOUND, 409: {"description": "The status cannot go there from here"}},
)
async def change_status(
    customer_id: UUID,
    change: StatusChange,
    caller: Writer,
    work: TenantWork,
) -> CustomerRead:
    """Move a customer along lead → active ⇄ suspended → cancelled, with the reason (needed to
    suspend or cancel). Cancelling ends the customer's subscriptions that day."""
    customer = await service.change_status(work, customer_id, change, by=caller.reference)
    return read(customer)


@router.get("/{customer_id}/status-history", responses=NOT_FOUND)
async def status_history(
    customer_id: UUID, caller: Reader, session: TenantSession
) -> StatusHistory:
    """Every status the customer has had, when, why and by whom, oldest first."""
    changes = await service.status_history(session, customer_id)
    return StatusHistory(
        changes=[StatusChangeRead.model_validate(c, from_attributes=True) for c in changes]
    )


@router.post("/{customer_id}/notes", status_code=status.HTTP_201_CREATED, responses=NOT_FOUND)
async def add_note(
    customer_id: UUID, spec: NoteCreate, caller: Writer, work: TenantWork
) -> NoteRead:
    note = await service.add_note(
        work.session, caller.tenant_id, customer_id, spec, now=work.now, by=caller.reference
    )
    return NoteRead.model_validate(note, from_attributes=True)


@router.get("/{customer_id}/notes", responses=NOT_FOUND)
async def list_notes(customer_id: UUID, caller: Reader, session: TenantSession) -> NoteList:
    """The customer's notes, newest first."""
    found = await service.notes(session, customer_id)
    return NoteList(notes=[NoteRead.model_validate(n, from_attributes=True) for n in found])
