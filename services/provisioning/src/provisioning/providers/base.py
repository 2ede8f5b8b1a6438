from dataclasses import dataclass
from typing import Protocol

from provisioning.onboarding.messages import Onboarding


class InstanceNotReady(Exception):
    """Transient: the machine is still starting, or its DNS records are not there yet; the
    step is retried."""


def user_data(onboarding: Onboarding, *, data_device: str | None = None) -> str:
    """The cloud-init a machine of the ISP boots with: the ISP framework's settings, the data
    volume mounted (where the provider attaches one as a device), the framework started."""
    mounts = (
        f'mounts:\n  - ["{data_device}", /var/lib/dotmac, ext4, "defaults,nofail,discard", '
        '"0", "2"]\n'
        if data_device
        else ""
    )
    return (
        "#cloud-config\n"
        f"{mounts}"
        "write_files:\n"
        "  - path: /etc/dotmac/isp.env\n"
        '    permissions: "0600"\n'
        "    content: |\n"
        f"      DOTMAC_TENANT_ID={onboarding.isp_id}\n"
        f"      DOTMAC_TIER={onboarding.tier}\n"
        f"      DOTMAC_DOMAIN={onboarding.domain}\n"
        "runcmd:\n"
        "  - [systemctl, enable, --now, dotmac-isp-framework.service]\n"
    )


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
