"""Inputs of the demo lifecycle workflow and its activities (plain dataclasses, so the workflow
sandbox needs nothing but the standard library to load them)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Demo:
    demo_id: str  # also its tenant's id, and the ISP's if it converts
    slug: str
    company_name: str
    prospect_name: str
    prospect_email: str
    scenario: str
    tier: str


@dataclass(frozen=True)
class Opened:
    url: str


@dataclass(frozen=True)
class Announcement:
    """A change of the demo's life to publish: `kind` is opened, extended, reminded, removed
    or converted; `at` and `until` are ISO 8601 times (when it happened; until when it lives)."""

    demo: Demo
    kind: str
    at: str
    until: str = ""
    url: str = ""


@dataclass(frozen=True)
class Reminder:
    demo: Demo
    url: str
    removal_at: str
