from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tenant_api.listing import Page

Day = Annotated[int, Field(ge=-60, le=365)]


class LateFeeKind(StrEnum):
    NONE = "none"
    FIXED = "fixed"
    PERCENT = "percent"


class LateFee(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: LateFeeKind = LateFeeKind.NONE
    amount: int = Field(default=0, ge=0, le=10**9, description="fixed: minor units")
    basis_points: int = Field(
        default=0, ge=0, le=10_000, description="percent: of the invoice's balance, 500 = 5.00%"
    )

    @model_validator(mode="after")
    def _amount_for_its_kind(self) -> "LateFee":
        if self.kind == LateFeeKind.FIXED and self.amount == 0:
            raise ValueError("a fixed late fee needs an amount above 0")
        if self.kind == LateFeeKind.PERCENT and self.basis_points == 0:
            raise ValueError("a percent late fee needs basis_points above 0")
        return self


class DunningSettingsUpdate(BaseModel):
    """Every field: the settings as they will be."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "enabled": True,
                    "reminder_days": [-3, 1, 7],
                    "late_fee": {"kind": "fixed", "amount": 500},
                    "grace_days": 5,
                    "suspend_after_days": 30,
                }
            ]
        },
    )

    enabled: bool = Field(description="run the pass every day (it can be run by hand anyway)")
    reminder_days: list[Day] = Field(
        default_factory=list,
        max_length=10,
        description="when to mail a reminder, in days from the due date: -3 is three days "
        "before, 7 a week after",
    )
    late_fee: LateFee = Field(default_factory=LateFee)
    grace_days: int = Field(
        default=0, ge=0, le=365, description="days after the due date before a late fee"
    )
    suspend_after_days: int | None = Field(
        default=None, ge=1, le=365, description="days overdue before suspension; null: never"
    )

    @field_validator("reminder_days")
    @classmethod
    def _distinct(cls, days: list[int]) -> list[int]:
        if len(set(days)) != len(days):
            raise ValueError("each reminder day once")
        return sorted(days)


class DunningSettingsRead(BaseModel):
    enabled: bool
    reminder_days: list[int]
    late_fee: LateFee
    grace_days: int
    suspend_after_days: int | None
    next_pass_on: str | None = Field(description="the day the next automatic pass is due")
    last_pass_error: str | None
    updated_at: datetime | None


class CustomerDunningUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"never_suspend": True}]}
    )

    never_suspend: bool = Field(description="dunning reminds and charges fees, never suspends")


class CustomerDunningRead(BaseModel):
    customer_id: UUID
    never_suspend: bool


class ActionKind(StrEnum):
    REMINDER = "reminder"
    LATE_FEE = "late_fee"
    SUSPENDED = "suspended"
    REACTIVATED = "reactivated"


class DunningPassCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"dry_run": True}]})

    dry_run: bool = Field(default=False, description="show what the pass would do; do nothing")


class ActionRead(BaseModel):
    id: UUID | None = Field(description="null in a dry run")
    kind: ActionKind
    customer_id: UUID
    invoice_id: UUID | None
    step: int | None = Field(description="a reminder's day from the due date")
    fee_invoice_id: UUID | None
    amount: int | None = Field(description="a late fee's, or what was overdue (minor units)")
    detail: str | None
    created_at: datetime


class DunningPassResult(BaseModel):
    dry_run: bool
    ran_at: datetime
    reminders: int
    late_fees: int
    suspended: int
    reactivated: int
    actions: list[ActionRead] = Field(description="at most 500")


ActionPage = Page[ActionRead]
