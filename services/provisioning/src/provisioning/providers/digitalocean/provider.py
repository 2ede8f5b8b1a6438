"""The onboarding's steps on DigitalOcean, and their compensations.

As on aws, the ISP framework the tenant is served by is reached through `serving`, so the
onboarding's health check and routing work the same for every provider; the droplet's user data
installs the framework on a real machine."""

import asyncio
from typing import Any

from dotmac_contracts.capacity import TIER_RESOURCES
from dotmac_contracts.vocabulary import Tier
from provisioning.errors import ConfigurationError
from provisioning.onboarding.messages import Onboarding
from provisioning.providers.base import InstanceInfo, InstanceNotReady
from provisioning.providers.digitalocean.client import DigitalOceanClient
from provisioning.providers.digitalocean.resources import (
    OWNER_RECORD,
    DigitalOceanResources,
    fqdn,
    names,
)
from provisioning.providers.local import LocalProvider
from provisioning.providers.sizing import DIGITALOCEAN_REGIONS, DIGITALOCEAN_SIZES

HOSTS = ("@", "www")
REGION_SLUGS = {region.value: slug for region, slug in DIGITALOCEAN_REGIONS.items()}


class DigitalOceanProvider:
    name = "digitalocean"

    def __init__(
        self,
        *,
        serving: LocalProvider,
        token: str,
        image: str,
        boot_wait_s: float = 45.0,
        poll_s: float = 1.0,
    ) -> None:
        self._serving = serving
        self._client = DigitalOceanClient(token)
        self._resources = DigitalOceanResources(self._client, image=image)
        self._boot_wait_s = boot_wait_s
        self._poll_s = poll_s

    # --- provision: volume, droplet, firewall ------------------------------------------------

    async def provision(self, onboarding: Onboarding) -> InstanceInfo:
        self._client.require_token()
        region = REGION_SLUGS.get(onboarding.region)
        if region is None:
            raise ConfigurationError(
                f"DigitalOcean has no datacentre for the region {onboarding.region}: place the "
                f"ISPs of {onboarding.region} on another provider"
            )
        tier = Tier(onboarding.tier)
        named = names(onboarding)
        volume = await self._resources.volume(onboarding, region, tier)
        droplet = await self._resources.droplet(onboarding)
        if droplet is None:
            droplet_id = await self._resources.create_droplet(onboarding, region, tier, volume.id)
        else:
            droplet_id = droplet.id
            if droplet_id not in (volume.droplet_ids or []):
                await self._resources.attach(volume.id, droplet_id, region)
        await self._resources.firewall(onboarding)
        served = await self._serving.provision(onboarding)
        return InstanceInfo(
            host=served.host,
            url=served.url,
            detail=(
                f"Droplet {droplet_id} ({DIGITALOCEAN_SIZES[tier]}) in {region} with volume "
                f"{named['volume']} ({TIER_RESOURCES[tier].storage_gb} GB), firewall "
                f"{named['firewall']} letting HTTP and HTTPS in"
            ),
        )

    # --- deploy: the droplet is up -----------------------------------------------------------

    async def deploy(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        self._client.require_token()
        droplet = await self._active(onboarding)
        await self._serving.deploy(onboarding, instance)
        return (
            f"Droplet {droplet.id} is active at {droplet.ip_address}; the ISP framework starts "
            "from its user data"
        )

    async def _active(self, onboarding: Onboarding) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._boot_wait_s
        while True:
            droplet = await self._resources.droplet(onboarding)
            if droplet is None:
                raise InstanceNotReady(f"no droplet of {onboarding.slug} exists")
            if droplet.status == "active" and droplet.ip_address:
                return droplet
            if loop.time() > deadline:
                raise InstanceNotReady(f"droplet {droplet.id} is still {droplet.status}")
            await asyncio.sleep(self._poll_s)

    # --- configure: DNS (and TLS, which the droplet obtains once DNS answers) ----------------

    async def configure(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        self._client.require_token()
        droplet = await self._active(onboarding)
        address = droplet.ip_address
        records = await self._resources.claim_domain(onboarding)
        domain = onboarding.domain
        for host in HOSTS:
            current = [r for r in records if r.type == "A" and r.name == host]
            keep = next((r for r in current if r.data == address), None)
            for record in current:
                if record is not keep:
                    await self._resources.delete_record(onboarding, record.id)
            if keep is None:
                await self._resources.add_record(onboarding, "A", host, address)
        served = await self._serving.configure(onboarding, instance)
        return (
            f"{domain} and www.{domain} point at {address} (delegate the domain to "
            "ns1, ns2 and ns3.digitalocean.com; the droplet obtains its TLS certificate once "
            f"they answer). {served}"
        )

    # --- validate ------------------------------------------------------------------------------

    async def validate(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        self._client.require_token()
        droplet = await self._active(onboarding)
        records = await self._resources.records(onboarding)
        if records is None:
            raise InstanceNotReady(f"DigitalOcean has no domain {onboarding.domain} yet")
        for host in HOSTS:
            pointed = [r.data for r in records if r.type == "A" and r.name == host]
            if pointed != [droplet.ip_address]:
                raise InstanceNotReady(
                    f"{fqdn(onboarding, host)} does not point at {droplet.ip_address} yet"
                )
        return await self._serving.validate(onboarding, instance)

    # --- compensations ------------------------------------------------------------------------

    async def unconfigure(self, onboarding: Onboarding) -> None:
        """Delete the ISP's DNS records and its domain, if the domain is the ISP's."""
        self._client.require_token()
        await self._serving.unconfigure(onboarding)
        records = await self._resources.records(onboarding)
        if records is None or not self._resources.is_the_isps(records, onboarding):
            return
        for record in records:
            if (record.type == "A" and record.name in HOSTS) or (
                record.type == "TXT" and record.name == OWNER_RECORD
            ):
                await self._resources.delete_record(onboarding, record.id)
        await self._resources.delete_domain(onboarding)

    async def deprovision(self, onboarding: Onboarding) -> None:
        """Destroy the droplet, then the firewall and the volume."""
        self._client.require_token()
        await self._resources.destroy_all(onboarding)
