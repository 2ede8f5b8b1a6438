from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr

from servicekit.validation import Kept, Name
from tenant_api.identity.auth.roles import Role


class UserInvite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    name: Name
    role: Role


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Kept[Role] = None
    status: Kept[Literal["active", "disabled"]] = None


class UserRead(BaseModel):
    id: UUID
    email: str
    name: str
    role: Role
    status: str
    created_at: datetime
    last_login_at: datetime | None


class UserList(BaseModel):
    users: list[UserRead]
