from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from servicekit.validation import CountryCode
from tenant_api.imports.parsing import FIELDS

Column = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class MappingChange(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"mapping": {"name": "Full Name", "email": "E-mail"}}]},
    )

    mapping: dict[str, Column] = Field(
        description=f"field -> the column that fills it; fields: {', '.join(FIELDS)}",
        max_length=len(FIELDS),
    )
    default_country: CountryCode | None = None


class OnDuplicate(StrEnum):
    SKIP = "skip"
    CREATE = "create"


class Commit(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"on_duplicate": "skip"}]}
    )

    on_duplicate: OnDuplicate | None = Field(
        default=None,
        description="rows whose email another customer (or an earlier row) has: skip them, or "
        "create them anyway. Needed only when there are such rows.",
    )


class RowErrorRead(BaseModel):
    row: int = Field(description="as the spreadsheet numbers it: the header is row 1")
    field: str
    message: str


class Duplicate(BaseModel):
    row: int
    field: str
    value: str
    customer_id: UUID | None = Field(description="the existing customer it repeats")
    first_row: int | None = Field(description="the earlier row of this file it repeats")


class ImportReport(BaseModel):
    id: UUID
    filename: str | None
    status: str = Field(description="checked, or committed")
    columns: list[str]
    mapping: dict[str, str]
    unmapped_columns: list[str]
    default_country: str | None
    rows: int
    ready: int = Field(description="rows that would create a customer")
    errors: list[RowErrorRead] = Field(description="the first 500")
    error_count: int
    duplicates: list[Duplicate] = Field(description="the first 500")
    duplicate_count: int
    created_at: datetime
    committed_at: datetime | None
    created: int | None = Field(default=None, description="customers the commit created")
    skipped: int | None = None
