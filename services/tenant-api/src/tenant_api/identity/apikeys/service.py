"""API keys: created by owners and admins with scopes within their own role, listed without
their secret, revoked at once everywhere."""

import uuid
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.problems import NotFound, UnprocessableContent
from tenant_api.deps import Forbidden
from tenant_api.identity.apikeys import repository
from tenant_api.identity.apikeys.keys import new_key
from tenant_api.identity.apikeys.schemas import ApiKeyCreate
from tenant_api.identity.auth.access import revoke_key
from tenant_api.identity.auth.roles import PERMISSIONS
from tenant_api.identity.auth.tokens import AccessClaims
from tenant_api.models import ApiKey


async def create_key(
    session: AsyncSession, creator: AccessClaims, spec: ApiKeyCreate, *, now: datetime
) -> tuple[ApiKey, str]:
    beyond = sorted(s.value for s in spec.scopes if s not in PERMISSIONS[creator.role])
    if beyond:
        raise Forbidden(
            f"The {creator.role.value} role cannot give a key what it may not do itself: "
            f"{', '.join(beyond)}.",
            scopes=beyond,
        )
    if spec.expires_at is not None and spec.expires_at <= now:
        raise UnprocessableContent(
            "expires_at must be in the future.",
            errors=[{"location": "body", "field": "expires_at", "message": "in the past"}],
        )
    key, key_hash, prefix = new_key(creator.tenant_id)
    row = ApiKey(
        id=uuid.uuid4(),
        tenant_id=creator.tenant_id,
        name=spec.name,
        prefix=prefix,
        key_hash=key_hash,
        scopes=[s.value for s in spec.scopes],
        created_by=creator.user_id,
        created_at=now,
        expires_at=spec.expires_at,
    )
    session.add(row)
    await session.flush()
    return row, key


async def list_keys(session: AsyncSession) -> list[ApiKey]:
    return await repository.keys(session)


async def revoke(session: AsyncSession, key_id: UUID, *, now: datetime) -> ApiKey:
    """Revoke the key (again: nothing changes)."""
    row = await repository.get_for_update(session, key_id)
    if row is None:
        raise NotFound(f"No API key {key_id} at this ISP.")
    if row.revoked_at is None:
        row.revoked_at = now
        await revoke_key(session, row.key_hash)
    return row
