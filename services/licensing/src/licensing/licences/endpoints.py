from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request

from licensing.licences.schemas import LicenceRead, TierChange
from licensing.licences.service import change_tier, licence_of
from servicekit.http import RuntimeDep

router = APIRouter(tags=["licences"])


@router.get(
    "/api/v1/licensing/isps/{isp_id}/licence",
    responses={404: {"description": "The ISP holds no licence"}},
)
async def get_licence(isp_id: UUID, runtime: RuntimeDep) -> LicenceRead:
    """The licence an ISP holds: tier, plugins, customer cap, validity and the signed token."""
    async with runtime.db.unit_of_work() as session:
        return LicenceRead.model_validate(await licence_of(session, isp_id), from_attributes=True)


@router.get("/.well-known/dotmac-licence-keys")
async def licence_keys(request: Request) -> dict[str, Any]:
    """The platform's public keys (a JWK set): ISP instances verify licence tokens with them,
    offline."""
    key_set: dict[str, Any] = request.app.state.licence_signer.key_set()
    return key_set


@router.post(
    "/api/v1/isp/{isp_id}/tier",
    responses={
        404: {"description": "The ISP holds no licence"},
        409: {"description": "A downgrade below the ISP's customer count"},
    },
)
async def change_isp_tier(
    isp_id: UUID, change: TierChange, runtime: RuntimeDep, request: Request
) -> LicenceRead:
    """Move an ISP to another tier: it gets a new licence (and token) for it at once. A
    downgrade that the ISP's customers would not fit in is refused, saying by how many."""
    async with runtime.db.unit_of_work() as session:
        licence = await change_tier(
            session,
            runtime.outbox,
            request.app.state.licence_signer,
            isp_id=isp_id,
            tier=change.tier,
            now=datetime.now(UTC),
            validity=timedelta(days=request.app.state.licence_validity_days),
        )
        return LicenceRead.model_validate(licence, from_attributes=True)
