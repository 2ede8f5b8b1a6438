from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from dotmac_contracts.vocabulary import Provider, Region
from servicekit.config import ServiceSettings

DIGITALOCEAN_LACKS = frozenset({Region.SA_EAST_1, Region.AP_NORTHEAST_1})


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRATION_", extra="ignore")

    port: int = 8101
    default_provider: Provider = Field(
        default=Provider.LOCAL, description="Where ISPs are placed unless `placements` says"
    )
    placements: dict[Region, Provider] = Field(
        default_factory=dict,
        description='Provider per region, as JSON: {"eu-west-1": "aws", "eu-central-1": '
        '"digitalocean"}',
    )

    demos_per_address_per_hour: int = Field(
        default=10,
        ge=1,
        description="Demo requests one network address may make in an hour (each opens a "
        "tenant full of sample data)",
    )

    @model_validator(mode="after")
    def _placeable(self) -> Self:
        for region in Region:
            if self.provider_for(region) is Provider.DIGITALOCEAN and region in DIGITALOCEAN_LACKS:
                raise ValueError(f"DigitalOcean has no datacentre for {region.value}")
        return self

    def provider_for(self, region: Region) -> Provider:
        return self.placements.get(region, self.default_provider)
