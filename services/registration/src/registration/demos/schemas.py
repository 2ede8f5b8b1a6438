from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from servicekit.validation import Name

Scenario = Literal["small", "medium", "enterprise"]
DemoState = Literal["requested", "active", "expiring", "removed", "converted"]


class Prospect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    email: EmailStr


class DemoRequest(BaseModel):
    """A prospect asks to try DotMac with sample data."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "prospect": {"name": "Dana Reyes", "email": "dana@bayfiber.example"},
                    "company": "Bay Fiber",
                    "scenario": "medium",
                }
            ]
        },
    )

    prospect: Prospect
    company: Name
    scenario: Scenario = Field(
        default="small",
        description="small: 50 customers; medium: 500 with resellers; enterprise: 2,400 over "
        "a multi-site network",
    )


class DemoRead(BaseModel):
    demo_id: UUID
    slug: str
    company: str
    scenario: Scenario
    tier: str = Field(description="the tier the demo runs at, so its sample data fits")
    state: DemoState
    url: str | None = Field(description="where the demo answers, once open")
    expires_at: datetime | None = Field(description="a sign-in moves it a week on")
    removal_at: datetime | None = Field(description="when an unused demo is removed")
    status_url: str
    created_at: datetime
