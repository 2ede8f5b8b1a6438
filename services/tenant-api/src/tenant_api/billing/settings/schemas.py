from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from servicekit.validation import Label

Currency = Annotated[
    str, StringConstraints(pattern=r"^[A-Z]{3}$"), Field(description="ISO 4217, e.g. USD")
]
BasisPoints = Annotated[int, Field(ge=0, le=10_000, description="2000 = 20.00%")]


class BillingSettingsUpdate(BaseModel):
    """Every field: the settings as they will be."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "currency": "USD",
                    "tax_rate_id": None,
                    "invoice_prefix": "INV-",
                    "payment_terms_days": 14,
                    "billing_day": 1,
                    "automatic_runs": False,
                }
            ]
        },
    )

    currency: Currency
    tax_rate_id: UUID | None = Field(default=None, description="the default tax; null: none")
    invoice_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9/-]{0,11}$")] = (
        "INV-"
    )
    payment_terms_days: int = Field(default=14, ge=0, le=365)
    billing_day: int = Field(default=1, ge=1, le=28, description="the day each period starts")
    automatic_runs: bool = Field(
        default=False,
        description="bill each period automatically the day after it ends (automated_billing)",
    )


class BillingSettingsRead(BaseModel):
    currency: str
    tax_rate_id: UUID | None
    invoice_prefix: str
    next_invoice_number: int = Field(description="the number the next issued invoice gets")
    payment_terms_days: int
    billing_day: int
    automatic_runs: bool
    next_automatic_run_on: date | None = Field(description="when the next period is billed")
    last_automatic_run_error: str | None
    updated_at: datetime | None


class TaxRateCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "VAT 20%", "basis_points": 2000, "inclusive": False}]
        },
    )

    name: Label
    basis_points: BasisPoints
    inclusive: bool = Field(default=False, description="prices already contain the tax")


class TaxRateRead(BaseModel):
    id: UUID
    name: str
    basis_points: int
    inclusive: bool
    created_at: datetime


class TaxRateList(BaseModel):
    tax_rates: list[TaxRateRead]


class CustomerBillingUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"tax_rate_id": None}]}
    )

    tax_rate_id: UUID | None = Field(
        default=None, description="the customer's own tax (a 0% rate: exempt); null: its plans'"
    )


class CustomerBillingRead(BaseModel):
    customer_id: UUID
    tax_rate_id: UUID | None
