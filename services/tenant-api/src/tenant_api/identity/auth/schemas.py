from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from tenant_api.identity.auth.roles import Permission, Role

Password = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
OpaqueToken = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    password: Password


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: OpaqueToken


class TokenPair(BaseModel):
    access_token: str = Field(description="Send as `Authorization: Bearer <token>`")
    refresh_token: str = Field(description="Trade it once for a new pair at /auth/refresh")
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds the access token stays valid")


class Me(BaseModel):
    id: UUID
    tenant_id: UUID
    email: str
    name: str
    role: Role
    last_login_at: datetime | None


class FirstLogin(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: OpaqueToken = Field(description="The one-time code from the welcome email")
    password: Annotated[str, StringConstraints(min_length=12, max_length=1024)]


class CallerRead(BaseModel):
    """Who a credential is at its ISP, and what it may do there now."""

    tenant_id: UUID = Field(description="The ISP's tenant id")
    kind: Literal["person", "api_key"]
    user_id: UUID | None = Field(description="The signed-in person; null for an API key")
    api_key_id: UUID | None = Field(description="The API key; null for a person")
    role: Role | None = Field(description="The person's role; null for an API key")
    permissions: list[Permission] = Field(
        description="What it may do, sorted: the role's permissions, or the key's scopes"
    )
    plugins: list[str] = Field(
        description="The plugins the ISP's licence lets it use now, sorted (none while the "
        "licence is revoked or expired)"
    )
