from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from servicekit.validation import Name
from tenant_api.identity.auth.roles import KEY_SCOPES, Permission


def _grantable(scopes: list[Permission]) -> list[Permission]:
    refused = sorted(s.value for s in scopes if s not in KEY_SCOPES)
    if refused:
        raise ValueError(f"an API key cannot be given {', '.join(refused)}")
    return sorted(set(scopes))


Scopes = Annotated[
    list[Permission], Field(min_length=1, max_length=len(Permission)), AfterValidator(_grantable)
]


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[Name, Field(max_length=100, description="What the key is for")]
    scopes: Scopes = Field(description="What the key may do: permissions of the role matrix")
    expires_at: datetime | None = Field(default=None, description="Never, if left out")


class ApiKeyRead(BaseModel):
    id: UUID
    name: str
    prefix: str = Field(description="The key's first characters, to tell keys apart")
    scopes: list[Permission]
    created_by: UUID | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The key itself. Shown this once: only its hash is kept.")


class ApiKeyList(BaseModel):
    api_keys: list[ApiKeyRead]
