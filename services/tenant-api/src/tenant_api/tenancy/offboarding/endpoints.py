from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel, ConfigDict, Field

from servicekit.http import OutboxDep, RuntimeDep
from servicekit.validation import Description
from tenant_api.deps import ERRORS, Caller, CurrentTenant, NamedTenant, TenantSession, require
from tenant_api.identity.auth.roles import Permission
from tenant_api.models import DataExport
from tenant_api.tenancy.offboarding import service

router = APIRouter(prefix="/api/v1/tenant", tags=["leaving"], responses=ERRORS)
Owner = Annotated[Caller, require(Permission.ACCOUNT_CLOSE)]


class Cancellation(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "Merging with another ISP"}]}
    )

    reason: Description | None = None


class CancellationRead(BaseModel):
    requested_at: datetime = Field(
        description="the ISP is deleted a grace period after this, unless the cancellation "
        "is retracted; its data export is emailed to its owner"
    )


class ExportRead(BaseModel):
    export_id: UUID
    size_bytes: int
    sha256: str
    created_at: datetime
    download_path: str


class ExportList(BaseModel):
    exports: list[ExportRead]


def export_read(export: DataExport) -> ExportRead:
    return ExportRead(
        export_id=export.id,
        size_bytes=export.size_bytes,
        sha256=export.sha256,
        created_at=export.created_at,
        download_path=f"/api/v1/tenant/exports/{export.id}",
    )


@router.post("/cancellation", status_code=status.HTTP_202_ACCEPTED)
async def cancel(
    body: Cancellation,
    caller: Owner,
    tenant: CurrentTenant,
    session: TenantSession,
    outbox: OutboxDep,
) -> CancellationRead:
    """Cancel this ISP's service (the owner only). Its data is exported for the owner to
    download, and after the grace period everything is deleted: instance, DNS, data. A repeat
    changes nothing."""
    requested_at, _ = await service.request_cancellation(
        session,
        outbox,
        tenant,
        reason=body.reason or "",
        by=caller.reference,
        now=datetime.now(UTC),
    )
    return CancellationRead(requested_at=requested_at)


@router.get("/cancellation", responses={404: {"description": "No cancellation pending"}})
async def cancellation(
    caller: Owner, tenant: CurrentTenant, session: TenantSession
) -> CancellationRead:
    """The pending cancellation, if the owner asked for one (the owner only)."""
    return CancellationRead(requested_at=await service.cancellation_of(session, tenant.id))


@router.delete(
    "/cancellation",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={409: {"description": "No cancellation to retract"}},
)
async def retract(
    caller: Owner, tenant: CurrentTenant, session: TenantSession, outbox: OutboxDep
) -> None:
    """Keep the ISP after all, within the grace period (the owner only)."""
    await service.retract_cancellation(
        session, outbox, tenant, by=caller.reference, now=datetime.now(UTC)
    )


@router.post(
    "/exports",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "The export made in the last ten minutes, again"}},
)
async def export_now(
    caller: Owner, tenant: CurrentTenant, session: TenantSession, response: Response
) -> ExportRead:
    """Archive all of this ISP's data now, to download (the owner only): customers, plans,
    invoices, tickets, devices... as a zip of JSON lines. Asked again within ten minutes, the
    same archive is answered (200) rather than a second one stored."""
    export, made = await service.export_on_request(session, tenant.id, datetime.now(UTC))
    if not made:
        response.status_code = status.HTTP_200_OK
    return export_read(export)


@router.get("/exports")
async def list_exports(caller: Owner, tenant: CurrentTenant, session: TenantSession) -> ExportList:
    """The data exports made for this ISP, newest first (the owner only)."""
    return ExportList(exports=[export_read(e) for e in await service.exports(session, tenant.id)])


@router.get(
    "/exports/{export_id}",
    responses={
        200: {"content": {"application/zip": {}}, "description": "The archive"},
        404: {"description": "No such export for this ISP"},
    },
    response_class=Response,
)
async def download_export(
    export_id: UUID, caller: Owner, tenant: CurrentTenant, runtime: RuntimeDep
) -> Response:
    """The ISP's data as a zip of JSON lines, one file per kind of record (the owner only)."""
    async with runtime.db.unit_of_work() as session:
        export = await service.get_export(session, tenant.id, export_id)
    return Response(
        export.content,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{tenant.slug}-data.zip"',
            "Digest": f"sha-256={export.sha256}",
        },
    )


def internal_router(caller: Callable[..., None]) -> APIRouter:
    internal = APIRouter(
        prefix="/internal/v1/tenants", tags=["internal"], dependencies=[Depends(caller)]
    )

    @internal.post(
        "/{tenant_id}/exports",
        status_code=status.HTTP_201_CREATED,
        responses={404: {"description": "No such tenant"}},
    )
    async def export(tenant: NamedTenant, runtime: RuntimeDep) -> ExportRead:
        """Archive all of the tenant's data (offboarding), for its owner to download."""
        async with runtime.db.unit_of_work(tenant=tenant.id) as session:
            return export_read(await service.export_data(session, tenant.id))

    return internal
