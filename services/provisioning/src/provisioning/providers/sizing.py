"""What each provider builds for each tier and where: the cloud machine sizes and the region each
provider uses for the platform's regions (DESIGN.md §4; the Kubernetes requests, autoscaling
bounds and storage come from `dotmac_contracts.capacity`). The Terraform modules in `infra/`
carry the same tables; a test keeps them equal."""

from dotmac_contracts.vocabulary import Region, Tier

AWS_INSTANCE_TYPES: dict[Tier, str] = {
    Tier.FREE: "t3.small",
    Tier.BASIC: "t3.medium",
    Tier.PREMIUM: "t3.large",
    Tier.ENTERPRISE: "m6i.xlarge",
}

DIGITALOCEAN_SIZES: dict[Tier, str] = {
    Tier.FREE: "s-1vcpu-2gb",
    Tier.BASIC: "s-2vcpu-4gb",
    Tier.PREMIUM: "s-4vcpu-8gb",
    Tier.ENTERPRISE: "s-8vcpu-16gb",
}

DIGITALOCEAN_REGIONS: dict[Region, str] = {
    Region.US_EAST_1: "nyc3",
    Region.US_WEST_2: "sfo3",
    Region.EU_WEST_1: "ams3",
    Region.EU_CENTRAL_1: "fra1",
    Region.EU_WEST_2: "lon1",
    Region.AP_SOUTHEAST_1: "sgp1",
    Region.AP_SOUTHEAST_2: "syd1",
}
"""DigitalOcean has no datacentre in São Paulo or Tokyo: sa-east-1 and ap-northeast-1 cannot be
placed there."""
