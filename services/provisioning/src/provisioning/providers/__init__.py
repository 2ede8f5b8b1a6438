"""Where ISP instances run. Each provider does the cloud side of the onboarding steps."""

from provisioning.providers.base import InstanceInfo, Provider

__all__ = ["InstanceInfo", "Provider"]
