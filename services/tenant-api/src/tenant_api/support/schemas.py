from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from servicekit.validation import Body, Kept, Name
from tenant_api.listing import Page
from tenant_api.vocabulary import Priority


class TicketStatus(StrEnum):
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.OPEN: frozenset(
        {TicketStatus.PENDING, TicketStatus.RESOLVED, TicketStatus.CLOSED}
    ),
    TicketStatus.PENDING: frozenset(
        {TicketStatus.OPEN, TicketStatus.RESOLVED, TicketStatus.CLOSED}
    ),
    TicketStatus.RESOLVED: frozenset({TicketStatus.OPEN, TicketStatus.CLOSED}),
    TicketStatus.CLOSED: frozenset(),
}
"""Pending waits on the customer; resolved may be reopened; closed is final."""

SLA: dict[Priority, timedelta] = {
    Priority.URGENT: timedelta(hours=4),
    Priority.HIGH: timedelta(hours=8),
    Priority.NORMAL: timedelta(hours=24),
    Priority.LOW: timedelta(hours=72),
}
"""How long after it is opened a ticket must be resolved, for ISPs with sla_management."""


class TicketCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "subject": "Slow speeds in the evening",
                    "description": "Speed tests show 8 Mbps of 100 between 7 and 11 pm.",
                    "priority": "high",
                }
            ]
        },
    )

    subject: Name
    description: Body | None = None
    priority: Priority = Priority.NORMAL
    customer_id: UUID | None = None
    assignee_id: UUID | None = Field(default=None, description="a user of this ISP")


class TicketUpdate(BaseModel):
    """Only the fields sent change; `assignee_id: null` unassigns."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"status": "pending", "priority": "urgent"}]},
    )

    subject: Kept[Name] = None
    description: Body | None = None
    priority: Kept[Priority] = None
    status: Kept[TicketStatus] = None
    assignee_id: UUID | None = None
    customer_id: UUID | None = None


class CommentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"body": "Replaced the ONT; speeds are back."}]},
    )

    body: Body


class CommentRead(BaseModel):
    id: UUID
    body: str
    author: str
    author_id: UUID | None
    created_at: datetime


class TicketRead(BaseModel):
    id: UUID
    number: int
    subject: str
    description: str | None
    status: TicketStatus
    priority: Priority
    customer_id: UUID | None
    assignee_id: UUID | None
    opened_by: str
    sla_due_at: datetime | None = Field(description="for ISPs with sla_management")
    overdue: bool = Field(description="not resolved by its SLA due time")
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None


class TicketDetail(TicketRead):
    comments: list[CommentRead]


class TicketSort(StrEnum):
    NEWEST = "-created_at"
    OLDEST = "created_at"
    DUE = "sla_due_at"
    PRIORITY = "priority"


TicketPage = Page[TicketRead]
