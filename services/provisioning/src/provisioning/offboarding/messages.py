"""Inputs and outputs of the offboarding workflow (plain dataclasses for the sandbox)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Offboarding:
    isp_id: str
    grace_s: float  # how long after the cancellation everything is destroyed


@dataclass(frozen=True)
class Exported:
    export_id: str
    size_bytes: int
    sha256: str
    download_url: str


@dataclass(frozen=True)
class Milestone:
    """What to announce: started (with `until`, when it is deleted), exported, stopped or
    completed (with what was destroyed)."""

    isp_id: str
    kind: str
    at: str
    until: str = ""
    export: Exported | None = None
    destroyed: tuple[str, ...] = ()
