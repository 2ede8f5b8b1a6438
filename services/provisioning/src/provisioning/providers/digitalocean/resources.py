"""Each of an ISP's DigitalOcean resources, found again from the ISP alone (never by an id kept
from an earlier attempt) or made: the droplet by its tag `isp-<isp_id>`, the volume and the
firewall by name, the domain by the ISP's domain. So a step can run again after a crash or a
timeout and finds its own work. DigitalOcean domains carry no tags: the ISP's is marked with a
TXT record, and only a domain that carries this ISP's mark is ever changed or deleted."""

from functools import partial
from typing import Any

import digitalocean
from digitalocean.baseapi import NotFoundError

from dotmac_contracts.capacity import TIER_RESOURCES
from dotmac_contracts.vocabulary import Tier
from provisioning.errors import ConfigurationError
from provisioning.onboarding.messages import Onboarding
from provisioning.providers.base import user_data
from provisioning.providers.digitalocean.client import (
    DigitalOceanClient,
    Domain,
    Droplet,
    Firewall,
    Manager,
    Volume,
)
from provisioning.providers.sizing import DIGITALOCEAN_SIZES

MANAGED_BY = "dotmac"
ANYWHERE = ["0.0.0.0/0", "::/0"]
RECORD_TTL = 300
OWNER_RECORD = "_dotmac-isp"
"""Name of the TXT record that marks a DigitalOcean domain as the one made for an ISP."""


def names(onboarding: Onboarding) -> dict[str, str]:
    """The names and tag every resource of the ISP is found by."""
    name = f"dotmac-isp-{onboarding.slug}"
    return {
        "droplet": name,
        "volume": f"{name}-data",
        "firewall": name,
        "tag": f"isp-{onboarding.isp_id}",
        "owner": f"dotmac-isp={onboarding.isp_id}",
    }


def fqdn(onboarding: Onboarding, host: str) -> str:
    return onboarding.domain if host == "@" else f"{host}.{onboarding.domain}"


class DigitalOceanResources:
    def __init__(self, client: DigitalOceanClient, *, image: str) -> None:
        self._client = client
        self._image = image

    def _tags(self, onboarding: Onboarding) -> list[str]:
        return [MANAGED_BY, names(onboarding)["tag"], f"tier-{onboarding.tier}"]

    # --- volume ------------------------------------------------------------------------------

    async def volume(self, onboarding: Onboarding, region: str, tier: Tier) -> Any:
        """The ISP's volume, made if it has none."""
        found = await self.volumes(onboarding)
        if found:
            return found[0]
        return await self._client.call(
            "create the ISP's volume",
            lambda: self._client.new(
                Volume,
                name=names(onboarding)["volume"],
                region=region,
                size_gigabytes=TIER_RESOURCES[tier].storage_gb,
                filesystem_type="ext4",
                description=f"DotMac ISP {onboarding.slug}: data (/var/lib/dotmac)",
                tags=self._tags(onboarding),
            ).create(),
        )

    async def volumes(self, onboarding: Onboarding) -> list[Any]:
        def listed() -> list[Any]:
            data = self._client.new(Manager).get_data(
                "volumes", params={"name": names(onboarding)["volume"]}
            )
            return [self._client.new(Volume, **volume) for volume in data["volumes"]]

        return await self._client.call("look up the ISP's volume", listed)

    async def attach(self, volume_id: str, droplet_id: int, region: str) -> None:
        await self._client.call(
            "attach the ISP's volume to its droplet",
            lambda: self._client.new(Volume, id=volume_id).attach(droplet_id, region),
        )

    # --- droplet -----------------------------------------------------------------------------

    async def create_droplet(
        self, onboarding: Onboarding, region: str, tier: Tier, volume_id: str
    ) -> int:
        def create() -> int:
            droplet = self._client.new(
                Droplet,
                name=names(onboarding)["droplet"],
                region=region,
                size_slug=DIGITALOCEAN_SIZES[tier],
                image=self._image,
                tags=self._tags(onboarding),
                # Attached at creation, so cloud-init finds the volume at first boot.
                volumes=[volume_id],
                user_data=user_data(
                    onboarding,
                    data_device=f"/dev/disk/by-id/scsi-0DO_Volume_{names(onboarding)['volume']}",
                ),
                ipv6=True,
                monitoring=True,
                ssh_keys=[],
            )
            droplet.create()
            return int(droplet.id)

        return await self._client.call("create the ISP's droplet", create)

    async def droplets(self, onboarding: Onboarding) -> list[Any]:
        droplets = await self._client.call(
            "look up the ISP's droplet",
            lambda: self._client.new(Manager).get_all_droplets(tag_name=names(onboarding)["tag"]),
        )
        return sorted(droplets, key=lambda droplet: droplet.id)

    async def droplet(self, onboarding: Onboarding) -> Any | None:
        droplets = await self.droplets(onboarding)
        return droplets[0] if droplets else None

    # --- firewall ----------------------------------------------------------------------------

    async def firewalls(self, onboarding: Onboarding) -> list[Any]:
        # DigitalOcean lists firewalls by no name: the account's, then the ISP's among them.
        listed = await self._client.call(
            "look up the ISP's firewall", lambda: self._client.new(Manager).get_all_firewalls()
        )
        return [f for f in listed if f.name == names(onboarding)["firewall"]]

    async def firewall(self, onboarding: Onboarding) -> None:
        """The ISP's firewall (HTTP and HTTPS in), made if it has none."""
        if await self.firewalls(onboarding):
            return
        everywhere = digitalocean.Destinations(addresses=ANYWHERE)
        await self._client.call(
            "create the ISP's firewall",
            lambda: self._client.new(
                Firewall,
                name=names(onboarding)["firewall"],
                # By tag rather than droplet id: it covers the ISP's droplet, whichever it is.
                tags=[names(onboarding)["tag"]],
                droplet_ids=[],
                inbound_rules=[
                    digitalocean.InboundRule(
                        "tcp", str(port), digitalocean.Sources(addresses=ANYWHERE)
                    )
                    for port in (80, 443)
                ],
                outbound_rules=[
                    digitalocean.OutboundRule("tcp", "1-65535", everywhere),
                    digitalocean.OutboundRule("udp", "1-65535", everywhere),
                    digitalocean.OutboundRule("icmp", "0", everywhere),
                ],
            ).create(),
        )

    # --- domain ------------------------------------------------------------------------------

    async def records(self, onboarding: Onboarding) -> list[Any] | None:
        """The records of the ISP's domain, or None when the account has no such domain."""
        try:
            return await self._client.call(
                f"read the DNS records of {onboarding.domain}",
                lambda: self._client.new(Domain, name=onboarding.domain).get_records(),
            )
        except NotFoundError:
            return None

    @staticmethod
    def is_the_isps(records: list[Any], onboarding: Onboarding) -> bool:
        """Marked as this ISP's; or unmarked and empty but for the NS and SOA records
        DigitalOcean makes (so configure made it, and stopped before it could mark it)."""
        marks = {r.data for r in records if r.type == "TXT" and r.name == OWNER_RECORD}
        if marks:
            return marks == {names(onboarding)["owner"]}
        return all(r.type in ("NS", "SOA") for r in records)

    async def claim_domain(self, onboarding: Onboarding) -> list[Any]:
        """The ISP's domain, made and marked as the ISP's if the account has none; refused if
        the account holds the domain for something else."""
        domain = onboarding.domain
        records = await self.records(onboarding)
        if records is None:
            await self._client.call(
                f"add {domain} to DigitalOcean's DNS",
                lambda: self._client.new(Domain, name=domain, ip_address=None).create(),
            )
            records = await self.records(onboarding) or []
        if not self.is_the_isps(records, onboarding):
            raise ConfigurationError(
                f"{domain} is already a domain of the DigitalOcean account, with records "
                "DotMac did not make for this ISP: remove the domain there (or move its records "
                "elsewhere) and onboard the ISP again"
            )
        if not any(r.type == "TXT" and r.name == OWNER_RECORD for r in records):
            await self._client.call(
                f"mark {domain} as the ISP's",
                partial(self._add_record, domain, "TXT", OWNER_RECORD, names(onboarding)["owner"]),
            )
        return records

    async def add_record(self, onboarding: Onboarding, kind: str, host: str, data: str) -> None:
        await self._client.call(
            f"point {fqdn(onboarding, host)} at {data}",
            partial(self._add_record, onboarding.domain, kind, host, data),
        )

    def _add_record(self, domain: str, kind: str, name: str, data: str) -> Any:
        return self._client.new(Domain, name=domain).create_new_domain_record(
            type=kind, name=name, data=data, ttl=RECORD_TTL
        )

    async def delete_record(self, onboarding: Onboarding, record_id: int) -> None:
        await self._client.delete(
            f"delete a DNS record of {onboarding.domain}",
            lambda: self._client.new(Domain, name=onboarding.domain).delete_domain_record(
                id=record_id
            ),
        )

    async def delete_domain(self, onboarding: Onboarding) -> None:
        await self._client.delete(
            f"delete the domain {onboarding.domain}",
            lambda: self._client.new(Domain, name=onboarding.domain).destroy(),
        )

    # --- everything --------------------------------------------------------------------------

    async def destroy_all(self, onboarding: Onboarding) -> None:
        """Destroy the droplet, then the firewall and the volume."""
        for droplet in await self.droplets(onboarding):
            await self._client.destroy("destroy the ISP's droplet", Droplet, droplet.id)
        for firewall in await self.firewalls(onboarding):
            await self._client.destroy("delete the ISP's firewall", Firewall, firewall.id)
        for volume in await self.volumes(onboarding):
            # Refused while DigitalOcean still detaches it from the destroyed droplet: the
            # compensation is retried until it lets go.
            await self._client.destroy("delete the ISP's volume", Volume, volume.id)
