from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from servicekit.validation import Kept

MAX_EVENT_TYPES = 100

EventTypeName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
]


def _printable(value: str) -> str:
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in value):
        raise ValueError("must not contain control characters")
    return value


Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)]
Note = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=500), AfterValidator(_printable)
]
RatePerSecond = Annotated[int, Field(ge=1, le=1000)]


class EndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url = Field(
        description="Where deliveries go: https (http only for a loopback receiver in development)"
    )
    description: Note = ""
    event_types: list[EventTypeName] = Field(
        default_factory=list,
        max_length=MAX_EVENT_TYPES,
        description="The public event types to deliver (see /api/v1/webhooks/event-types); "
        "empty: all of them, including types added later",
    )
    rate_limit_per_s: RatePerSecond | None = Field(
        default=None, description="At most this many deliveries a second; none: no limit"
    )


class EndpointUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Kept[Url] = None
    description: Kept[Note] = None
    event_types: Kept[list[EventTypeName]] = Field(default=None, max_length=MAX_EVENT_TYPES)
    rate_limit_per_s: RatePerSecond | None = Field(
        default=None, description="null lifts the limit; left out, it stays"
    )
    enabled: Kept[bool] = Field(
        default=None,
        description="false stops deliveries; true starts them again (after a disable by the "
        "platform too), and the endpoint counts as healthy again",
    )


class EndpointRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    url: str
    description: str
    event_types: list[str]
    rate_limit_per_s: int | None
    enabled: bool
    disabled_at: datetime | None
    disabled_reason: str | None
    failing_since: datetime | None = Field(
        description="Since when every attempt has failed; it is disabled after 5 days of it"
    )
    secret_rotated_until: datetime | None = Field(
        description="While set, deliveries are signed with the previous secret too"
    )
    created_at: datetime
    updated_at: datetime


class EndpointCreated(EndpointRead):
    secret: str = Field(
        description="The signing secret (`whsec_...`): shown this once; verify deliveries "
        "with it (Standard Webhooks)"
    )


class SecretRotated(BaseModel):
    secret: str = Field(description="The new signing secret, shown this once")
    previous_valid_until: datetime = Field(
        description="Until then deliveries carry both signatures, the old secret's and the new"
    )


class AttemptRead(BaseModel):
    id: int
    message_id: str
    type: str
    attempted_at: datetime
    outcome: str = Field(
        description="succeeded, failed (an answer that is not 2xx), timeout, unreachable, "
        "refused (an address deliveries may not reach)"
    )
    status_code: int | None
    latency_ms: int
    response_excerpt: str | None = Field(description="The first kilobyte of the answer")
    error: str | None


class AttemptPage(BaseModel):
    attempts: list[AttemptRead]
    next_before: int | None = Field(description="Pass as `before` for older attempts")


class MessageRead(BaseModel):
    id: str
    seq: int
    type: str
    occurred_at: datetime
    payload: dict[str, object]


class MessagePage(BaseModel):
    messages: list[MessageRead]
    next_before: int | None


class ReplaySince(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: datetime = Field(description="Every message from this time on is sent again")


class Queued(BaseModel):
    queued: int = Field(description="Deliveries queued")


class TestSent(BaseModel):
    message_id: str


class EventTypeRead(BaseModel):
    type: str
    audience: str
    description: str
    schema_: dict[str, object] = Field(alias="schema", serialization_alias="schema")

    model_config = ConfigDict(populate_by_name=True)
