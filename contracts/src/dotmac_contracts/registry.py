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

    def ce_subject(self) -> str:
        """The CloudEvents `subject`: what the event is about. Consumers keep the events of one
        subject in order."""
        raise NotImplementedError


class IspEvent(Event):
    """An event about one ISP (whose tenant has the same id): nearly all of them."""

    isp_id: UUID

    def ce_subject(self) -> str:
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
