from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, status

from tenant_api.deps import EntitlementsDep, TenantSession, TenantWork, api_rate, require_person
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
    spec: ApiKeyCreate, actor: Manager, work: TenantWork, entitlements: EntitlementsDep
) -> ApiKeyCreated:
    """A key for a program to call this ISP's API with, limited to `scopes`. The answer holds
    the key itself, this once; keep it secret. Requests made with it count against the ISP's
    API rate (basic tier: limited; premium and up: full)."""
    api_rate(actor.tenant_id, entitlements)
    row, key = await service.create_key(work.session, actor, spec, now=work.now)
    return ApiKeyCreated.model_validate({**_read(row).model_dump(), "key": key})


@router.get("", responses=ERRORS)
async def list_api_keys(actor: Manager, session: TenantSession) -> ApiKeyList:
    """Every key of this ISP, revoked ones too, without the keys themselves."""
    return ApiKeyList(api_keys=[_read(row) for row in await service.list_keys(session)])


@router.delete(
    "/{api_key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**ERRORS, 404: {"description": "No such key here"}},
)
async def revoke_api_key(api_key_id: UUID, actor: Manager, work: TenantWork) -> None:
    """Revoke a key: every replica refuses it from now on. Revoking it again changes nothing."""
    await service.revoke(work.session, api_key_id, now=work.now)


def _read(row: Any) -> ApiKeyRead:
    return ApiKeyRead.model_validate(row, from_attributes=True)
