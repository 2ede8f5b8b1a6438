from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from tenant_api.listing import Page

Month = Annotated[
    str,
    StringConstraints(pattern=r"^(19[7-9][0-9]|20[0-9]{2}|2100)-(0[1-9]|1[0-2])$"),
    Field(description="YYYY-MM: the period that starts on the billing day of this month"),
]


class BillRunCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"period": "2026-10", "dry_run": True}]}
    )

    period: Month
    dry_run: bool = Field(default=False, description="show what would be invoiced; change nothing")
    issue: bool = Field(default=True, description="number and issue the invoices; else drafts")


class CustomerPreview(BaseModel):
    customer_id: UUID
    would_invoice: int | None = Field(description="minor units; null: nothing billable now")
    invoiced: int | None = Field(description="the period's invoice already made; null: none")
    invoice_id: UUID | None


class Differences(BaseModel):
    """How the period's invoices would look if made now, against those made already (by the
    last runs): `new` would be invoiced by a run now; `changed` were invoiced for another
    amount than they would be now (the data changed since: credit or invoice by hand, a run
    does not invoice them twice); `gone` were invoiced and have nothing billable now;
    `unchanged` match. Each list holds at most 100."""

    new: list[CustomerPreview]
    changed: list[CustomerPreview]
    gone: list[CustomerPreview]
    new_count: int
    changed_count: int
    gone_count: int
    unchanged_count: int


class BillRunRead(BaseModel):
    id: UUID
    period_start: date
    period_end: date = Field(description="the next period's first day")
    dry_run: bool
    issue: bool
    currency: str
    invoices_created: int = Field(description="a dry run: how many a run now would make")
    amount_invoiced: int = Field(description="minor units, with tax")
    created_by: str
    created_at: datetime


class BillRunResult(BillRunRead):
    differences: Differences | None = Field(description="for a dry run")


BillRunPage = Page[BillRunRead]
