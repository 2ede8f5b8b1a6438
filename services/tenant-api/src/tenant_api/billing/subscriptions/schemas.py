from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from servicekit.validation import Description
from tenant_api.listing import Page


class EndReason(StrEnum):
    CHANGED = "changed"
    CANCELLED = "cancelled"


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"plan_id": "0b6f3c1e-8f1a-4c0e-9a53-8d1f2e3a4b5c"}]},
    )

    plan_id: UUID
    starts_on: date | None = Field(default=None, description="the first day; default today")


class PlanChange(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"plan_id": "0b6f3c1e-8f1a-4c0e-9a53-8d1f2e3a4b5c"}]},
    )

    plan_id: UUID
    on: date | None = Field(
        default=None, description="the first day on the new plan (and the old one's end); today"
    )


class Cancellation(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "Moving away"}]}
    )

    on: date | None = Field(default=None, description="the first day without service; today")
    reason: Description | None = None


class SubscriptionRead(BaseModel):
    id: UUID
    customer_id: UUID
    plan_id: UUID
    starts_on: date = Field(description="the first day on the plan")
    ends_on: date | None = Field(
        description="the first day no longer on it (the next plan's first day); null: open"
    )
    end_reason: EndReason | None
    cancellation_reason: str | None
    previous_id: UUID | None = Field(description="the subscription this one replaced")
    created_at: datetime


class SubscriptionHistory(BaseModel):
    subscriptions: list[SubscriptionRead]


class PlanChanged(BaseModel):
    ended: SubscriptionRead
    started: SubscriptionRead


SubscriptionPage = Page[SubscriptionRead]
