from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from servicekit.validation import (
    Body,
    CountryCode,
    Description,
    Kept,
    Label,
    Name,
    PhoneNumber,
)
from tenant_api.listing import Page
from tenant_api.vocabulary import CustomerKind, CustomerStatus, Tag

TRANSITIONS: dict[CustomerStatus, frozenset[CustomerStatus]] = {
    CustomerStatus.LEAD: frozenset({CustomerStatus.ACTIVE, CustomerStatus.CANCELLED}),
    CustomerStatus.ACTIVE: frozenset({CustomerStatus.SUSPENDED, CustomerStatus.CANCELLED}),
    CustomerStatus.SUSPENDED: frozenset({CustomerStatus.ACTIVE, CustomerStatus.CANCELLED}),
    CustomerStatus.CANCELLED: frozenset(),
}
"""Where a customer's status may go next. Cancelled is final: a returning customer is a new
account, so the history of the old one stays as it was."""
NEEDS_REASON = frozenset({CustomerStatus.SUSPENDED, CustomerStatus.CANCELLED})


class Address(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "line1": "1208 Maple Street",
                    "city": "Springfield",
                    "region": "OR",
                    "postal_code": "97477",
                    "country": "US",
                }
            ]
        },
    )

    line1: Name
    line2: Name | None = None
    city: Label
    region: Label | None = Field(default=None, description="state, province or county")
    postal_code: Annotated[
        str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9 -]{1,15}$")
    ]
    country: CountryCode


class AddressRead(BaseModel):
    """An address as a customer's read shows it. It was checked as an `Address` when it was
    written, so reading it back does not check each line again: a page of 50 customers did,
    character by character, for ~1 ms of CPU."""

    line1: str
    line2: str | None = None
    city: str
    region: str | None = Field(default=None, description="state, province or county")
    postal_code: str
    country: str = Field(description="ISO 3166-1 alpha-2")


Tags = Annotated[
    list[Tag],
    Field(max_length=20, description="short labels, lower-cased; repeats are dropped"),
    AfterValidator(lambda tags: list(dict.fromkeys(tags))),
]
AccountNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")
]


class CustomerCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Maria Alvarez",
                    "email": "maria.alvarez@example.net",
                    "phone": "+15415550123",
                    "contact_address": Address.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
                    "tags": ["fiber", "autopay"],
                }
            ]
        },
    )

    name: Name
    kind: CustomerKind = CustomerKind.RESIDENTIAL
    email: EmailStr | None = None
    phone: PhoneNumber | None = None
    contact_address: Address | None = None
    service_address: Address | None = None
    tags: Tags = []
    status: CustomerStatus = Field(
        default=CustomerStatus.LEAD,
        description="lead or active; a new customer is neither suspended nor cancelled",
    )
    reseller_id: UUID | None = Field(default=None, description="a customer of kind reseller")
    account_number: AccountNumber | None = Field(
        default=None, description="the ISP's own number, if it has one; otherwise one is given"
    )


class CustomerUpdate(BaseModel):
    """Only the fields sent change; `null` clears an optional field (name, kind and tags
    cannot be cleared)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"phone": "+15415550199", "tags": ["vip"]}]},
    )

    name: Kept[Name] = None
    kind: Kept[CustomerKind] = None
    email: EmailStr | None = None
    phone: PhoneNumber | None = None
    contact_address: Address | None = None
    service_address: Address | None = None
    tags: Kept[Tags] = None
    reseller_id: UUID | None = None


class StatusChange(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"status": "active"}]},
    )

    status: CustomerStatus
    reason: Description | None = Field(
        default=None, description="required when suspending or cancelling"
    )


class CustomerRead(BaseModel):
    id: UUID
    account_number: str
    name: str
    kind: CustomerKind
    email: str | None
    phone: str | None
    contact_address: AddressRead | None
    service_address: AddressRead | None
    tags: list[str]
    status: CustomerStatus
    status_reason: str | None
    status_changed_at: datetime
    reseller_id: UUID | None
    created_at: datetime
    updated_at: datetime


class StatusChangeRead(BaseModel):
    from_status: CustomerStatus | None
    to_status: CustomerStatus
    reason: str | None
    changed_at: datetime
    changed_by: str | None


class StatusHistory(BaseModel):
    changes: list[StatusChangeRead]


class NoteCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"body": "Called about the evening slowdowns."}]},
    )

    body: Body


class NoteRead(BaseModel):
    id: UUID
    body: str
    author: str
    created_at: datetime


class NoteList(BaseModel):
    notes: list[NoteRead]


class CustomerSort(StrEnum):
    ACCOUNT_NUMBER = "account_number"
    NAME = "name"
    NEWEST = "-created_at"
    OLDEST = "created_at"


CustomerPage = Page[CustomerRead]
