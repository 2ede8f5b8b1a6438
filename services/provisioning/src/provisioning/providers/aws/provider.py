"""The onboarding's steps on AWS, and their compensations.

The ISP framework the tenant is served by is reached through `serving` (in development and the
tests, the shared tenant-api behind the platform's gateway: a moto instance runs nothing), so the
onboarding's health check and routing work the same for every provider. The instance's user data
installs the framework on a real machine."""

import asyncio
from typing import Any

from provisioning.errors import ConfigurationError
from provisioning.onboarding.messages import Onboarding
from provisioning.providers.aws.client import AwsClient
from provisioning.providers.aws.resources import AwsResources, names
from provisioning.providers.base import InstanceInfo, InstanceNotReady
from provisioning.providers.local import LocalProvider


class AwsProvider:
    name = "aws"

    def __init__(
        self,
        *,
        serving: LocalProvider,
        image_id: str,
        endpoint_url: str | None = None,
        boot_wait_s: float = 60.0,
    ) -> None:
        self._serving = serving
        self._resources = AwsResources(AwsClient(endpoint_url=endpoint_url), image_id=image_id)
        self._boot_wait_s = boot_wait_s

    # --- provision: security group, instance, backups bucket ------------------------------

    async def provision(self, onboarding: Onboarding) -> InstanceInfo:
        if not self._resources.image_id:
            raise ConfigurationError(
                "the aws provider has no machine image: set PROVISIONING_AWS_IMAGE_ID to the "
                "AMI of the ISP framework"
            )
        group_id = await self._resources.security_group(onboarding)
        instance = await self._resources.start_instance(onboarding, group_id)
        await self._resources.bucket(onboarding)
        served = await self._serving.provision(onboarding)
        return InstanceInfo(
            host=served.host,
            url=served.url,
            detail=(
                f"EC2 {instance['InstanceId']} ({instance['InstanceType']}) in "
                f"{onboarding.region}, security group {group_id}, "
                f"backups in s3://{names(onboarding)['bucket']}"
            ),
        )

    # --- deploy: the instance is up ----------------------------------------------------------

    async def deploy(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        found = await self._running(onboarding)
        await self._serving.deploy(onboarding, instance)
        return (
            f"EC2 {found['InstanceId']} is running at {found.get('PublicIpAddress', 'no IP')}; "
            "the ISP framework starts from its user data"
        )

    async def _running(self, onboarding: Onboarding) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._boot_wait_s
        while True:
            found = await self._resources.instance(onboarding)
            if found is None:
                raise InstanceNotReady(f"no instance of {onboarding.slug} is alive")
            if found["State"]["Name"] == "running" and found.get("PublicIpAddress"):
                return found
            if loop.time() > deadline:
                raise InstanceNotReady(
                    f"EC2 {found['InstanceId']} is still {found['State']['Name']}"
                )
            await asyncio.sleep(1.0)

    # --- configure: DNS (and TLS, which Caddy on the instance obtains once DNS answers) -------

    async def configure(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        found = await self._running(onboarding)
        address = found["PublicIpAddress"]
        zone_id, nameservers = await self._resources.claim_zone(onboarding)
        await self._resources.point(onboarding, zone_id, address)
        served = await self._serving.configure(onboarding, instance)
        return (
            f"{onboarding.domain} and www.{onboarding.domain} point at {address} (delegate the "
            f"domain to {', '.join(nameservers)}; the instance obtains its TLS certificate once "
            f"they answer). {served}"
        )

    # --- validate -----------------------------------------------------------------------------

    async def validate(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        found = await self._running(onboarding)
        zone = await self._resources.zone(onboarding)
        if zone is None:
            raise InstanceNotReady(f"no DNS zone for {onboarding.domain} yet")
        addresses = await self._resources.addresses(onboarding, zone["Id"])
        if addresses.get(onboarding.domain) != [found["PublicIpAddress"]]:
            raise InstanceNotReady(
                f"{onboarding.domain} does not point at {found['PublicIpAddress']} yet"
            )
        return await self._serving.validate(onboarding, instance)

    # --- compensations ------------------------------------------------------------------------

    async def unconfigure(self, onboarding: Onboarding) -> None:
        """Delete the ISP's DNS records and the zone this provider made for them."""
        await self._serving.unconfigure(onboarding)
        await self._resources.delete_zone(onboarding)

    async def deprovision(self, onboarding: Onboarding) -> None:
        """Terminate the instance, then delete its security group and the backups bucket."""
        await self._resources.terminate_instance(onboarding)
        await self._resources.delete_security_groups(onboarding)
        await self._resources.delete_bucket(onboarding)
