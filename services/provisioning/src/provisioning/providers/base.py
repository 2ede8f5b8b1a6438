from dataclasses import dataclass
from typing import Protocol

from provisioning.onboarding.messages import Onboarding


@dataclass(frozen=True)
class InstanceInfo:
    host: str
    url: str
    detail: str


class Provider(Protocol):
    """The provider side of the onboarding steps. Every method is idempotent: Temporal may run
    it again after a crash or a timeout, and it must then find its own earlier work.

    The compensations (`unconfigure`, `deprovision`) find what to remove from the onboarding
    alone (names and tags derived from the ISP), so they also clean up after a step that failed
    half-way, before it could report what it had made."""

    name: str

    async def provision(self, onboarding: Onboarding) -> InstanceInfo: ...
    async def deploy(self, onboarding: Onboarding, instance: InstanceInfo) -> str: ...
    async def configure(self, onboarding: Onboarding, instance: InstanceInfo) -> str: ...
    async def validate(self, onboarding: Onboarding, instance: InstanceInfo) -> str: ...
    async def unconfigure(self, onboarding: Onboarding) -> None: ...
    async def deprovision(self, onboarding: Onboarding) -> None: ...
