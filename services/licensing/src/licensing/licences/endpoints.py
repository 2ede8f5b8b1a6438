from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request

from licensing.licences.schemas import LicenceRead
from licensing.licences.service import licence_of
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
