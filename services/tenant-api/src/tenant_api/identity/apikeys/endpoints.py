from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, status

from servicekit.http import RuntimeDep
from tenant_api.deps import EntitlementsDep, api_rate, require_person
from tenant_api.identity.apikeys import service
from tenant_api.identity.apikeys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyList, ApiKeyRead
from tenant_api.identity.auth.roles import Permission
from tenant_api.identity.auth.tokens import AccessClaims

router = APIRouter(prefix="/api/v1/api-keys", tags=["api keys"])
Manager = Annotated[AccessClaims, require_person(Permission.API_KEYS_MANAGE)]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    403: {"description": "Not an owner or admin, or an API key"},
}


@router.post(
    "", status_code=status.HTTP_201_CREATED, responses={**ERRORS, 422: {"description": "Bad key"}}
)
async def create_api_key(
    spec: ApiKeyCreate, actor: Manager, runtime: RuntimeDep, entitlements: EntitlementsDep
) -> ApiKeyCreated:
    """A key for a program to call this ISP's API with, limited to `scopes`. The answer holds
    the key itself, this once; keep it secret. Requests made with it count against the ISP's
    API rate (basic tier: limited; premium and up: full)."""
    api_rate(actor.tenant_id, entitlements)
    async with runtime.db.unit_of_work(tenant=actor.tenant_id) as session:
        row, key = await service.create_key(session, actor, spec, now=datetime.now(UTC))
        return ApiKeyCreated.model_validate({**_read(row).model_dump(), "key": key})


@router.get("", responses=ERRORS)
async def list_api_keys(actor: Manager, runtime: RuntimeDep) -> ApiKeyList:
    """Every key of this ISP, revoked ones too, without the keys themselves."""
    async with runtime.db.unit_of_work(tenant=actor.tenant_id) as session:
        return ApiKeyList(api_keys=[_read(row) for row in await service.list_keys(session)])


@router.delete(
    "/{api_key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**ERRORS, 404: {"description": "No such key here"}},
)
async def revoke_api_key(api_key_id: UUID, actor: Manager, runtime: RuntimeDep) -> None:
    """Revoke a key: every replica refuses it from now on. Revoking it again changes nothing."""
    async with runtime.db.unit_of_work(tenant=actor.tenant_id) as session:
        await service.revoke(session, api_key_id, now=datetime.now(UTC))


def _read(row: Any) -> ApiKeyRead:
    return ApiKeyRead.model_validate(row, from_attributes=True)
