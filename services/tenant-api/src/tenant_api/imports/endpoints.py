from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, status

from dotmac_contracts.vocabulary import Plugin
from servicekit.http import OutboxDep
from servicekit.problems import Upload
from servicekit.validation import CountryCode, Name
from tenant_api.customers.service import cap_of
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
from tenant_api.imports import service
from tenant_api.imports.schemas import Commit, ImportReport, MappingChange

PATH = "/api/v1/customer-imports"
UPLOADS = {PATH: Upload(frozenset({"text/csv", "text/plain"}), 20 * 1024 * 1024)}
"""The CSV upload takes a file of up to 20 MiB (50,000 rows), not JSON."""
router = APIRouter(
    prefix=PATH,
    tags=["customer imports"],
    dependencies=[require_plugin(Plugin.CUSTOMER_MANAGEMENT)],
    responses=ERRORS,
)
Writer = Annotated[Caller, require(Permission.CUSTOMERS_WRITE)]
Reader = Annotated[Caller, require(Permission.CUSTOMERS_READ)]
COMMITTED: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    409: {"description": "Committed already, or rows with errors or undecided duplicates"},
}
CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {
                "schema": {"type": "string"},
                "example": "Full Name,E-mail,Phone,Street,City,State,Zip,Plan\n"
                "Maria Alvarez,maria@example.net,(541) 555-0123,1208 Maple Street,"
                "Springfield,OR,97477,Fiber 100\n",
            }
        },
    }
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=CSV_BODY,
    responses={413: {"description": "Over 20 MiB"}, 415: {"description": "Not text/csv"}},
)
async def upload_import(
    request: Request,
    caller: Writer,
    work: TenantWork,
    filename: Annotated[Name | None, Query(description="the file's name, for the record")] = None,
    country: Annotated[
        CountryCode | None,
        Query(description="the country of addresses and phone numbers that name none"),
    ] = None,
) -> ImportReport:
    """Upload a CSV of customers (a header row, then one customer a row; optionally their plan
    and its start). Nothing is imported yet: the answer is the dry run — the columns and the
    fields they were mapped to, each row's errors, and rows that repeat a customer."""
    upload, review = await service.upload(
        work.session,
        caller.tenant_id,
        await request.body(),
        filename=filename,
        default_country=country,
        now=work.now,
        by=caller.reference,
    )
    return service.report(upload, review)


@router.get("/{import_id}", responses=NOT_FOUND)
async def get_import(import_id: UUID, caller: Reader, session: TenantSession) -> ImportReport:
    """The import's dry run as of now (customers added since count as duplicates)."""
    upload, review = await service.dry_run(session, import_id)
    return service.report(upload, review)


@router.put("/{import_id}/mapping", responses=COMMITTED)
async def remap_import(
    import_id: UUID, change: MappingChange, caller: Writer, session: TenantSession
) -> ImportReport:
    """Say which column fills which field, and check again."""
    upload, review = await service.remap(session, import_id, change.mapping, change.default_country)
    return service.report(upload, review)


@router.post("/{import_id}/commit", responses=COMMITTED)
async def commit_import(
    import_id: UUID,
    spec: Commit,
    caller: Writer,
    work: TenantWork,
    outbox: OutboxDep,
    entitlements: EntitlementsDep,
) -> ImportReport:
    """Create every customer of the import (with its plan), in one transaction: all of them,
    or — if any row has an error, or the tier's cap would be passed — none."""
    upload, review, created, skipped = await service.commit(
        work.session,
        outbox,
        caller.tenant_id,
        import_id,
        spec.on_duplicate,
        cap=cap_of(entitlements, caller.tenant_id),
        now=work.now,
        by=caller.reference,
    )
    return service.report(upload, review, created=created, skipped=skipped)
