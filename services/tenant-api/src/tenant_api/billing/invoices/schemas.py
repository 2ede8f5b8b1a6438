from datetime import date, datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from servicekit.validation import Description
from tenant_api.listing import Page

MinorUnits = Annotated[int, Field(ge=0, le=10**12, description="integer minor units (cents)")]
LineText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    PARTIALLY_PAID = "partially_paid"
    OVERDUE = "overdue"
    """Issued or partly paid, and past its due date with a balance left (not stored: read)."""
    PAID = "paid"
    VOID = "void"


class InvoiceKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class PaymentMethod(StrEnum):
    CASH = "cash"
    BANK_TRANSFER = "bank_transfer"
    OTHER = "other"


class LineCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: LineText
    quantity: int = Field(default=1, ge=1, le=100_000)
    unit_amount: MinorUnits
    discount: MinorUnits = Field(default=0, description="off this line, in minor units")
    tax_rate_id: UUID | None = Field(
        default=None, description="null: the customer's own tax, else the ISP's default"
    )

    @model_validator(mode="after")
    def _discount_within_amount(self) -> "LineCreate":
        if self.discount > self.quantity * self.unit_amount:
            raise ValueError("the discount is more than the line's amount")
        if self.quantity * self.unit_amount > 10**12:
            raise ValueError("the line's amount is too large")
        return self


class InvoiceCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "0b6f3c1e-8f1a-4c0e-9a53-8d1f2e3a4b5c",
                    "lines": [{"description": "Router installation", "unit_amount": 4900}],
                }
            ]
        },
    )

    customer_id: UUID
    lines: list[LineCreate] = Field(min_length=1, max_length=100)
    memo: Description | None = None
    issue: bool = Field(default=False, description="number and issue it now; else a draft")


class Void(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "Billed twice"}]}
    )

    reason: Description


class CreditedLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_id: UUID
    amount: MinorUnits = Field(
        description="of the line's amount (with its tax if the tax is inclusive)"
    )


class CreditNoteCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "Outage on 3 May"}]}
    )

    reason: Description
    lines: list[CreditedLine] | None = Field(
        default=None, max_length=100, description="null: credit all that is left of every line"
    )


class PaymentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"amount": 1000, "method": "bank_transfer"}]},
    )

    amount: Annotated[int, Field(ge=1, le=10**12, description="minor units")]
    method: PaymentMethod
    received_on: date | None = Field(default=None, description="default today")
    reference: Annotated[str, StringConstraints(max_length=200)] | None = None


class LineRead(BaseModel):
    id: UUID
    position: int
    kind: str
    description: str
    subscription_id: UUID | None
    service_start: date | None
    service_end: date | None = Field(description="the first day not covered")
    quantity: int
    unit_amount: int
    discount: int
    tax_basis_points: int
    tax_inclusive: bool
    net: int
    tax: int
    total: int
    credited_line_id: UUID | None


class InvoiceRead(BaseModel):
    id: UUID
    kind: InvoiceKind
    number: str | None = Field(description="given when issued")
    status: InvoiceStatus
    customer_id: UUID
    currency: str
    period_start: date | None
    period_end: date | None
    bill_run_id: UUID | None
    credited_invoice_id: UUID | None
    subtotal: int = Field(description="the lines without tax, after discounts (minor units)")
    discount_total: int
    tax_total: int
    total: int
    amount_paid: int
    amount_credited: int
    balance_due: int
    issued_on: date | None
    due_on: date | None
    memo: str | None
    void_reason: str | None
    created_at: datetime


class InvoiceDetail(InvoiceRead):
    lines: list[LineRead]


class PaymentRead(BaseModel):
    id: UUID
    invoice_id: UUID
    amount: int
    method: PaymentMethod
    received_on: date
    reference: str | None
    created_at: datetime


class PaymentRecorded(BaseModel):
    payment: PaymentRead
    invoice: InvoiceRead


InvoicePage = Page[InvoiceRead]
