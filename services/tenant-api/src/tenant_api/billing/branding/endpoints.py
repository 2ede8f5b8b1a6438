"""The ISP's details on its invoices (basic_billing) and its branding (white_label)."""

from typing import Annotated

from fastapi import APIRouter, Request

from dotmac_contracts.vocabulary import Plugin
from servicekit.problems import Upload
from tenant_api.billing.branding import service
from tenant_api.billing.branding.schemas import BrandingRead, BrandingUpdate, IssuerUpdate
from tenant_api.deps import (
    ERRORS,
    Caller,
    EntitlementsDep,
    TenantSession,
    TenantWork,
    require,
    require_plugin,
)
from tenant_api.identity.auth.roles import Permission

LOGO_PATH = "/api/v1/billing/branding/logo"
UPLOADS = {LOGO_PATH: Upload(frozenset(service.LOGO_TYPES), service.LOGO_MAX_BYTES)}
"""The logo is uploaded as the image itself (PNG or JPEG), not JSON."""
Reader = Annotated[Caller, require(Permission.BILLING_READ)]
Writer = Annotated[Caller, require(Permission.BILLING_WRITE)]
router = APIRouter(
    tags=["billing branding"],
    dependencies=[require_plugin(Plugin.BASIC_BILLING)],
    responses=ERRORS,
)
white_label = [require_plugin(Plugin.WHITE_LABEL)]
LOGO_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "image/png": {"schema": {"type": "string", "format": "binary"}, "example": "PNG"},
            "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.get("/api/v1/billing/branding")
async def get_branding(
    caller: Reader, session: TenantSession, entitlements: EntitlementsDep
) -> BrandingRead:
    """How the ISP's invoices and statements present it, and whether its tier applies its
    branding (white_label)."""
    allowed = entitlements.allows(caller.tenant_id, Plugin.WHITE_LABEL)
    return await service.get(session, white_label=allowed)


@router.put("/api/v1/billing/issuer")
async def put_issuer(
    change: IssuerUpdate, caller: Writer, work: TenantWork, entitlements: EntitlementsDep
) -> BrandingRead:
    """The ISP's legal name, address and tax number, printed on its invoices and statements."""
    branding = await service.set_issuer(work.session, caller.tenant_id, change, now=work.now)
    allowed = entitlements.allows(caller.tenant_id, Plugin.WHITE_LABEL)
    return service.read(branding, white_label=allowed)


@router.put("/api/v1/billing/branding", dependencies=white_label)
async def put_branding(change: BrandingUpdate, caller: Writer, work: TenantWork) -> BrandingRead:
    """The name, accent colour (#rrggbb) and footer on the ISP's documents (white_label)."""
    branding = await service.set_branding(work.session, caller.tenant_id, change, now=work.now)
    return service.read(branding, white_label=True)


@router.put(
    LOGO_PATH,
    dependencies=white_label,
    openapi_extra=LOGO_BODY,
    responses={413: {"description": "Over 512 KiB"}, 415: {"description": "Not PNG or JPEG"}},
)
async def put_logo(request: Request, caller: Writer, work: TenantWork) -> BrandingRead:
    """Upload the logo (white_label): a PNG or JPEG of up to 512 KiB and 2000 pixels a side,
    sent as the request body with its Content-Type. It is stored shrunk to fit 600 x 200
    pixels, as PNG."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    branding = await service.set_logo(
        work.session, caller.tenant_id, await request.body(), media_type, now=work.now
    )
    return service.read(branding, white_label=True)


@router.delete(LOGO_PATH, dependencies=white_label)
async def delete_logo(caller: Writer, work: TenantWork) -> BrandingRead:
    """Remove the logo (white_label)."""
    branding = await service.drop_logo(work.session, caller.tenant_id, now=work.now)
    return service.read(branding, white_label=True)
