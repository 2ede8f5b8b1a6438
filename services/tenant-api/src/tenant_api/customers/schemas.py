from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from servicekit.validation import Name, PhoneNumber


class CustomerStatus(StrEnum):
    LEAD = "lead"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


class CustomerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    email: EmailStr | None = None
    phone: PhoneNumber | None = None
    status: CustomerStatus = CustomerStatus.LEAD


class CustomerRead(BaseModel):
    id: UUID
    account_number: str
    name: str
    email: str | None
    phone: str | None
    status: CustomerStatus
    created_at: datetime
    updated_at: datetime


class CustomerPage(BaseModel):
    customers: list[CustomerRead]
    total: int
    limit: int
    offset: int


Limit = Annotated[int, Field(ge=1, le=200)]
Offset = Annotated[int, Field(ge=0, le=10_000_000)]
