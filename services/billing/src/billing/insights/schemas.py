"""What the operator's billing insights answer."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field


class TierRevenue(BaseModel):
    tier: str
    isps: int = Field(description="ISPs on the tier, in any status")
    paying: int = Field(description="Of them, paying: active or past due")
    mrr_cents: int


class Revenue(BaseModel):
    """Recurring revenue from ISPs' subscriptions as Stripe confirmed them: active and past
    due accounts count (past due is still billed); suspended and cancelled ones do not. An
    annual plan counts a twelfth of its price each month."""

    currency: str
    mrr_cents: int
    arr_cents: int = Field(description="12 times MRR")
    paying_isps: int
    by_tier: list[TierRevenue]
    by_status: dict[str, int]
    by_region: dict[str, int]
    as_of: datetime


class ChurnMonth(BaseModel):
    month: str = Field(examples=["2026-11"])
    paying_at_start: int = Field(description="ISPs active, past due or suspended as it began")
    cancelled: int = Field(description="ISPs whose account was cancelled during the month")
    churn_rate: float | None = Field(description="cancelled / paying_at_start; None if none")


class Churn(BaseModel):
    months: list[ChurnMonth] = Field(description="Oldest first; the last is the month so far")


class FailedPaymentsMonth(BaseModel):
    month: str
    failed: int = Field(description="Payments that failed (an account fell past due)")
    recovered: int = Field(description="Accounts paid up again after a failure")


class Unpaid(BaseModel):
    isp_id: UUID
    company_name: str
    status: Literal["past_due", "suspended"]
    past_due_since: datetime | None
    amount_cents: int | None
    currency: str | None


class FailedPayments(BaseModel):
    months: list[FailedPaymentsMonth]
    outstanding: list[Unpaid] = Field(description="Accounts unpaid now, longest first")


class HealthFactor(BaseModel):
    name: Literal["payment_history", "customer_growth", "usage_against_cap", "open_tickets"]
    weight: int = Field(description="The most points it gives")
    points: int
    detail: str = Field(description="What was measured, and why it gives these points")


class Health(BaseModel):
    """An ISP's health, 0 to 100: the sum of its factors' points."""

    isp_id: UUID
    company_name: str
    tier: str
    status: str
    score: int = Field(ge=0, le=100)
    band: Literal["healthy", "watch", "at_risk"] = Field(
        description="healthy from 75, watch from 50, at_risk below"
    )
    factors: list[HealthFactor]
    computed_at: datetime


class HealthList(BaseModel):
    isps: list[Health] = Field(description="Lowest score first")
