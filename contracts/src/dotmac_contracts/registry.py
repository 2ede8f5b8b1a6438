"""The base of every event model and the registry that maps subjects to models."""

import re
from typing import ClassVar, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict

_SUBJECT = re.compile(r"^dotmac\.[a-z_]+\.[a-z_]+\.[a-z_]+\.v[1-9][0-9]*$")


class Event(BaseModel):
    """A fact that happened, in the past tense. Frozen; unknown fields are refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: ClassVar[str]
    """NATS subject and CloudEvents `type`: `dotmac.<context>.<entity>.<event>.v<N>`."""

    isp_id: UUID
    """Every event is about one ISP (its tenant has the same id); it is the CloudEvents subject,
    and consumers keep the events of one ISP in order."""

    def ce_subject(self) -> str:
        """The CloudEvents `subject`: the ISP (tenant) the event is about."""
        return str(self.isp_id)


EVENTS: dict[str, type[Event]] = {}

E = TypeVar("E", bound=type[Event])


def event_type(subject: str):  # type: ignore[no-untyped-def]
    """Register an event model under its subject; one model per subject."""

    def register(cls: E) -> E:
        if not _SUBJECT.match(subject):
            raise ValueError(f"malformed subject {subject!r}")
        if subject in EVENTS:
            raise ValueError(f"{subject} is already taken by {EVENTS[subject].__name__}")
        cls.subject = subject
        EVENTS[subject] = cls
        return cls

    return register
