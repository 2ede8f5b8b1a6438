from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from servicekit.validation import Description, Kept, Name
from tenant_api.listing import Page
from tenant_api.vocabulary import CENT, BillingCycle


class PlanStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


Money = Annotated[
    Decimal,
    Field(ge=0, le=1_000_000, max_digits=9, decimal_places=2),
    AfterValidator(lambda amount: amount.quantize(CENT)),
]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Mbps = Annotated[int, Field(ge=1, le=1_000_000, description="megabits per second")]


class PlanCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Fiber 500",
                    "download_mbps": 500,
                    "upload_mbps": 500,
                    "price": "69.00",
                    "setup_fee": "49.00",
                    "billing_cycle": "monthly",
                }
            ]
        },
    )

    name: Name
    description: Description | None = None
    download_mbps: Mbps
    upload_mbps: Mbps
    data_cap_gb: int | None = Field(default=None, ge=1, le=1_000_000, description="null: unlimited")
    price: Money = Field(description="per billing cycle")
    setup_fee: Money = Decimal("0.00")
    currency: Currency = "USD"
    billing_cycle: BillingCycle = BillingCycle.MONTHLY
    customer_id: UUID | None = Field(
        default=None, description="make it a custom package only this customer can take"
    )
    tax_rate_id: UUID | None = Field(
        default=None, description="its tax, unless a customer has its own; null: the default"
    )


class PlanUpdate(BaseModel):
    """Only the fields sent change. A plan's terms (speeds, cap, prices, cycle) change only
    while no one has ever subscribed to it: afterwards, retire it and create another, so the
    subscription history keeps what each customer was sold."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"description": "Our most popular plan"}]}
    )

    name: Kept[Name] = None
    description: Description | None = None
    download_mbps: Kept[Mbps] = None
    upload_mbps: Kept[Mbps] = None
    data_cap_gb: int | None = Field(default=None, ge=1, le=1_000_000)
    price: Kept[Money] = None
    setup_fee: Kept[Money] = None
    currency: Kept[Currency] = None
    billing_cycle: Kept[BillingCycle] = None
    tax_rate_id: UUID | None = Field(default=None, description="null: the ISP's default tax")


TERMS = frozenset(
    {
        "download_mbps",
        "upload_mbps",
        "data_cap_gb",
        "price",
        "setup_fee",
        "currency",
        "billing_cycle",
    }
)


class PlanRead(BaseModel):
    id: UUID
    name: str
    description: str | None
    download_mbps: int
    upload_mbps: int
    data_cap_gb: int | None
    price: Decimal
    setup_fee: Decimal
    currency: str
    billing_cycle: BillingCycle
    status: PlanStatus
    customer_id: UUID | None = Field(description="set: a custom package for this customer")
    tax_rate_id: UUID | None
    created_at: datetime
    retired_at: datetime | None


PlanPage = Page[PlanRead]
