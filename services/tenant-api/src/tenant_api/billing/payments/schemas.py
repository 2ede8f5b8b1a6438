from datetime import date, datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from servicekit.validation import Description
from tenant_api.listing import Page

Amount = Annotated[int, Field(ge=1, le=10**12, description="minor units (cents)")]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
StripeId = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_]{3,255}$")
]


class Method(StrEnum):
    CASH = "cash"
    BANK_TRANSFER = "bank_transfer"
    CARD = "card"
    OTHER = "other"


class CustomerPaymentCreate(BaseModel):
    """A payment to the customer's account: allocated to its open invoices, the oldest first;
    what is left over is the customer's credit, which its next invoices take."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"amount": 4900, "method": "bank_transfer"}]},
    )

    amount: Amount
    method: Method
    payment_method: StripeId | None = Field(
        default=None,
        description="card: the Stripe PaymentMethod to charge (in the ISP's Stripe account, "
        "e.g. pm_... from its checkout)",
    )
    received_on: date | None = Field(default=None, description="default today")
    reference: Reference | None = None

    @model_validator(mode="after")
    def _card_needs_a_payment_method(self) -> "CustomerPaymentCreate":
        if self.method == Method.CARD and not self.payment_method:
            raise ValueError("a card payment needs the Stripe payment_method to charge")
        if self.method != Method.CARD and self.payment_method:
            raise ValueError("payment_method is for card payments only")
        return self


class RefundCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"amount": 1000, "reason": "Charged twice"}]},
    )

    amount: Amount | None = Field(default=None, description="null: all that is left to refund")
    reason: Description | None = None


class AllocationRead(BaseModel):
    invoice_id: UUID
    invoice_number: str | None
    amount: int = Field(description="minor units; negative: taken back by a refund")
    refund_id: UUID | None
    created_at: datetime


class RefundRead(BaseModel):
    id: UUID
    payment_id: UUID
    amount: int
    reason: str | None
    stripe_refund: str | None
    created_by: str
    created_at: datetime


class CustomerPaymentRead(BaseModel):
    id: UUID
    customer_id: UUID
    invoice_id: UUID | None = Field(description="the invoice it was recorded against, if one")
    amount: int
    currency: str
    method: Method
    received_on: date
    reference: str | None
    card_last4: str | None
    stripe_payment_intent: str | None
    amount_refunded: int
    created_by: str
    created_at: datetime


class PaymentDetail(CustomerPaymentRead):
    allocated: int = Field(description="on invoices now (allocations less what refunds took back)")
    unallocated: int = Field(description="the customer's credit from this payment")
    allocations: list[AllocationRead]
    refunds: list[RefundRead]


class RefundResult(BaseModel):
    refund: RefundRead
    payment: PaymentDetail


class AccountRead(BaseModel):
    """Where the customer's account stands."""

    customer_id: UUID
    currency: str
    balance_due: int = Field(description="on open invoices")
    overdue: int = Field(description="of it, past the due date")
    credit: int = Field(description="paid and not yet allocated: later invoices take it")
    net_balance: int = Field(description="balance_due - credit; negative: in credit")


PaymentPage = Page[CustomerPaymentRead]


class StripeKeyUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"secret_key": "sk_test_4eC39HqLyjWDarjtT1zdp7dc"}]},
    )

    secret_key: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, pattern=r"^(sk|rk)_(test|live)_[A-Za-z0-9_]{8,247}$"
        ),
    ] = Field(description="the ISP's Stripe secret (or restricted) key; never shown again")


class StripeAccountRead(BaseModel):
    configured: bool
    key_last4: str | None = Field(description="the last 4 characters of the key, to recognise it")
    live: bool | None = Field(description="a live key (else test)")
    updated_by: str | None
    updated_at: datetime | None
