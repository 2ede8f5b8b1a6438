from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from servicekit.validation import Description


class HoldCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"starts_on": "2026-07-01", "ends_on": "2026-07-15", "reason": "Away"}]
        },
    )

    starts_on: date = Field(description="the first day not billed")
    ends_on: date = Field(description="the first day billed again")
    subscription_id: UUID | None = Field(
        default=None, description="hold only this subscription; null: all of the customer's"
    )
    reason: Description | None = None


class HoldRead(BaseModel):
    id: UUID
    customer_id: UUID
    subscription_id: UUID | None
    starts_on: date
    ends_on: date
    reason: str | None
    created_by: str
    created_at: datetime


class HoldList(BaseModel):
    holds: list[HoldRead]
