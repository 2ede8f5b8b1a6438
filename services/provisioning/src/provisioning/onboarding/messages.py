"""Inputs and outputs of the onboarding workflow and its activities (plain dataclasses, so the
workflow sandbox needs nothing but the standard library to load them)."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Onboarding:
    """Everything the workflow needs to onboard one ISP."""

    isp_id: str
    deployment_id: str
    slug: str
    company_name: str
    tier: str
    region: str
    provider: str
    domain: str
    contact_email: str
    contact_name: str = ""
    from_demo: bool = False  # its tenant is a converted demo's: kept, with its data, on failure


@dataclass(frozen=True)
class InstanceRef:
    """Where the provisioning step placed the ISP's instance; later steps are given it."""

    host: str
    url: str


@dataclass(frozen=True)
class StepRun:
    onboarding: Onboarding
    step: str
    instance: InstanceRef | None = None
    next_step: str | None = None  # begun in the same transaction that records this one's end


@dataclass(frozen=True)
class StepOutcome:
    detail: str
    instance: InstanceRef | None = None


@dataclass(frozen=True)
class StepFailure:
    onboarding: Onboarding
    step: str
    reason: str
    retryable: bool
    compensating: bool


@dataclass(frozen=True)
class RollbackDone:
    onboarding: Onboarding
    undone: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OnboardingResult:
    isp_id: str
    instance_url: str
