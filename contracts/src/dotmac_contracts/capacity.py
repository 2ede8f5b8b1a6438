"""What an ISP instance of each tier runs with (DESIGN.md §4). Licensing sells it, provisioning
builds it (Kubernetes requests and autoscaling bounds, the quota of the ISP's namespace, the size
of its disk), so the table is shared vocabulary rather than either service's own."""

from dataclasses import dataclass

from dotmac_contracts.vocabulary import Tier


@dataclass(frozen=True)
class Resources:
    min_replicas: int
    max_replicas: int
    cpu_request: str  # Kubernetes quantity, per replica
    memory_request: str  # Kubernetes quantity, per replica
    storage: str  # e.g. "50GB"

    @property
    def storage_gb(self) -> int:
        if self.storage.endswith("TB"):
            return int(self.storage[:-2]) * 1000
        return int(self.storage.removesuffix("GB"))


TIER_RESOURCES: dict[Tier, Resources] = {
    Tier.FREE: Resources(1, 2, "200m", "512Mi", "10GB"),
    Tier.BASIC: Resources(2, 5, "500m", "1Gi", "50GB"),
    Tier.PREMIUM: Resources(3, 10, "1000m", "2Gi", "200GB"),
    Tier.ENTERPRISE: Resources(5, 25, "2000m", "4Gi", "1TB"),
}
