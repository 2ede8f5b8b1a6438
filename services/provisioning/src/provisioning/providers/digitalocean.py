"""The `digitalocean` provider: a droplet sized by tier in the DigitalOcean region of the ISP's
platform region, a block-storage volume sized by the tier's storage attached to it, a firewall
letting HTTP and HTTPS in, and a DigitalOcean domain for the ISP's domain with A records at `@`
and `www` pointing at the droplet (the resources of `infra/modules/digitalocean-isp`).

Every resource is found again from the ISP alone (never by an id kept from an earlier attempt):
the droplet by its tag `isp-<isp_id>`, the volume and the firewall by name, the domain by the
ISP's domain, so each method can run again after a crash or a timeout and finds its own work.
DigitalOcean domains carry no tags, so configure marks the ISP's with a TXT record and the
compensation deletes only a domain that carries this ISP's mark. A token DigitalOcean refuses
(401, 403) or a request it cannot accept (422: an unknown size, region or image, an invalid
domain) fails at once with a reason; throttling (429), DigitalOcean's own errors (5xx) and
connection errors are retried by the workflow.

python-digitalocean reads its end point from `DIGITALOCEAN_END_POINT` itself (the tests point it
at a fake); its calls block, so they run in threads. As on aws, the ISP framework the tenant is
served by is reached through `serving`, so the onboarding's health check and routing work the
same for every provider; the droplet's user data installs the framework on a real machine.
"""

import asyncio
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import digitalocean
import requests
from digitalocean.baseapi import (
    BaseAPI,
    DataReadError,
    EndPointError,
    JSONReadError,
    NotFoundError,
)

from dotmac_contracts.capacity import TIER_RESOURCES
from dotmac_contracts.vocabulary import Tier
from provisioning.errors import ConfigurationError
from provisioning.onboarding.messages import Onboarding
from provisioning.providers.base import InstanceInfo, InstanceNotReady, user_data
from provisioning.providers.local import LocalProvider
from provisioning.providers.sizing import DIGITALOCEAN_REGIONS, DIGITALOCEAN_SIZES

T = TypeVar("T")

MANAGED_BY = "dotmac"
REQUEST_TIMEOUT_S = 30.0
REFUSED_TOKEN = {401, 403}
REFUSED_REQUEST = {400, 422}
ANYWHERE = ["0.0.0.0/0", "::/0"]
HOSTS = ("@", "www")
RECORD_TTL = 300
OWNER_RECORD = "_dotmac-isp"
"""Name of the TXT record that marks a DigitalOcean domain as the one made for an ISP."""
REGION_SLUGS = {region.value: slug for region, slug in DIGITALOCEAN_REGIONS.items()}


class DigitalOceanUnavailable(Exception):
    """Transient: DigitalOcean is throttling, failing or out of reach; the step is retried."""


class DigitalOceanRefused(Exception):
    """DigitalOcean answered with an error. python-digitalocean raises the message alone; the
    HTTP status kept with it decides whether trying again can help."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


class _KeepsStatus(BaseAPI):
    """python-digitalocean's objects, made to keep the HTTP status of an error and to give up on
    a request after REQUEST_TIMEOUT_S (the library waits forever by default)."""

    _status: int | None = None

    def _BaseAPI__perform_request(self, *args: Any, **kwargs: Any) -> Any:
        # The library's private way out to HTTP: the one place the response's status is known.
        response = super()._BaseAPI__perform_request(*args, **kwargs)
        self._status = response.status_code
        return response

    def get_data(self, *args: Any, **kwargs: Any) -> Any:
        self._status = None
        try:
            return super().get_data(*args, **kwargs)
        # LookupError: the library fails to read an error document lacking `id` or `message`.
        except (DataReadError, JSONReadError, LookupError) as error:
            if self._status is None or self._status < 400:
                raise
            raise DigitalOceanRefused(self._status, str(error) or "no message") from error

    def get_timeout(self) -> float:
        return REQUEST_TIMEOUT_S


class _Manager(_KeepsStatus, digitalocean.Manager):
    pass


class _Droplet(_KeepsStatus, digitalocean.Droplet):
    pass


class _Volume(_KeepsStatus, digitalocean.Volume):
    pass


class _Firewall(_KeepsStatus, digitalocean.Firewall):
    pass


class _Domain(_KeepsStatus, digitalocean.Domain):
    pass


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
        self._token = token
        self._image = image
        self._boot_wait_s = boot_wait_s
        self._poll_s = poll_s

    def _require_token(self) -> None:
        if not self._token:
            raise ConfigurationError(
                "the digitalocean provider has no API token: set PROVISIONING_DIGITALOCEAN_TOKEN"
            )

    def _new(self, kind: Callable[..., T], **fields: Any) -> T:
        return kind(token=self._token, **fields)

    async def _call(self, what: str, call: Callable[[], T]) -> T:
        """Run python-digitalocean calls off the event loop, sorting their errors into
        configuration errors (a person must act) and transient ones (the workflow retries)."""
        try:
            return await asyncio.to_thread(call)
        except DigitalOceanRefused as error:
            if error.status in REFUSED_TOKEN:
                raise ConfigurationError(
                    f"DigitalOcean refused to {what}: it does not accept the token in "
                    f"PROVISIONING_DIGITALOCEAN_TOKEN ({error})"
                ) from error
            if error.status in REFUSED_REQUEST:
                raise ConfigurationError(f"DigitalOcean refused to {what}: {error}") from error
            raise DigitalOceanUnavailable(f"DigitalOcean could not {what}: {error}") from error
        except EndPointError as error:
            raise ConfigurationError(
                f"DIGITALOCEAN_END_POINT is not a URL, so nothing can {what}"
            ) from error
        except requests.RequestException as error:
            raise DigitalOceanUnavailable(
                f"DigitalOcean was out of reach to {what}: {error}"
            ) from error

    async def _delete(self, what: str, call: Callable[[], object]) -> None:
        try:
            await self._call(what, call)
        except NotFoundError:
            pass  # gone already

    # --- provision: volume, droplet, firewall ------------------------------------------------

    async def provision(self, onboarding: Onboarding) -> InstanceInfo:
        self._require_token()
        region = REGION_SLUGS.get(onboarding.region)
        if region is None:
            raise ConfigurationError(
                f"DigitalOcean has no datacentre for the region {onboarding.region}: place the "
                f"ISPs of {onboarding.region} on another provider"
            )
        tier = Tier(onboarding.tier)
        named = names(onboarding)
        volume = await self._volume(onboarding, region, tier)
        droplet = await self._find_droplet(onboarding)
        if droplet is None:
            droplet_id = await self._create_droplet(onboarding, region, tier, volume.id)
        else:
            droplet_id = droplet.id
            if droplet_id not in (volume.droplet_ids or []):
                await self._call(
                    "attach the ISP's volume to its droplet",
                    lambda: self._new(_Volume, id=volume.id).attach(droplet_id, region),
                )
        await self._firewall(onboarding)
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

    def _tags(self, onboarding: Onboarding) -> list[str]:
        return [MANAGED_BY, names(onboarding)["tag"], f"tier-{onboarding.tier}"]

    async def _volume(self, onboarding: Onboarding, region: str, tier: Tier) -> Any:
        found = await self._volumes(onboarding)
        if found:
            return found[0]
        return await self._call(
            "create the ISP's volume",
            lambda: self._new(
                _Volume,
                name=names(onboarding)["volume"],
                region=region,
                size_gigabytes=TIER_RESOURCES[tier].storage_gb,
                filesystem_type="ext4",
                description=f"DotMac ISP {onboarding.slug}: data (/var/lib/dotmac)",
                tags=self._tags(onboarding),
            ).create(),
        )

    async def _volumes(self, onboarding: Onboarding) -> list[Any]:
        def listed() -> list[Any]:
            data = self._new(_Manager).get_data(
                "volumes", params={"name": names(onboarding)["volume"]}
            )
            return [self._new(_Volume, **volume) for volume in data["volumes"]]

        return await self._call("look up the ISP's volume", listed)

    async def _create_droplet(
        self, onboarding: Onboarding, region: str, tier: Tier, volume_id: str
    ) -> int:
        def create() -> int:
            droplet = self._new(
                _Droplet,
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

        return await self._call("create the ISP's droplet", create)

    async def _droplets(self, onboarding: Onboarding) -> list[Any]:
        droplets = await self._call(
            "look up the ISP's droplet",
            lambda: self._new(_Manager).get_all_droplets(tag_name=names(onboarding)["tag"]),
        )
        return sorted(droplets, key=lambda droplet: droplet.id)

    async def _find_droplet(self, onboarding: Onboarding) -> Any | None:
        droplets = await self._droplets(onboarding)
        return droplets[0] if droplets else None

    async def _firewalls(self, onboarding: Onboarding) -> list[Any]:
        # DigitalOcean lists firewalls by no name: the account's, then the ISP's among them.
        listed = await self._call(
            "look up the ISP's firewall", lambda: self._new(_Manager).get_all_firewalls()
        )
        return [f for f in listed if f.name == names(onboarding)["firewall"]]

    async def _firewall(self, onboarding: Onboarding) -> None:
        if await self._firewalls(onboarding):
            return
        everywhere = digitalocean.Destinations(addresses=ANYWHERE)
        await self._call(
            "create the ISP's firewall",
            lambda: self._new(
                _Firewall,
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

    # --- deploy: the droplet is up -----------------------------------------------------------

    async def deploy(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        self._require_token()
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
            droplet = await self._find_droplet(onboarding)
            if droplet is None:
                raise InstanceNotReady(f"no droplet of {onboarding.slug} exists")
            if droplet.status == "active" and droplet.ip_address:
                return droplet
            if loop.time() > deadline:
                raise InstanceNotReady(f"droplet {droplet.id} is still {droplet.status}")
            await asyncio.sleep(self._poll_s)

    # --- configure: DNS (and TLS, which the droplet obtains once DNS answers) ----------------

    async def configure(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        self._require_token()
        droplet = await self._active(onboarding)
        address = droplet.ip_address
        records = await self._claim_domain(onboarding)
        domain = onboarding.domain
        for host in HOSTS:
            current = [r for r in records if r.type == "A" and r.name == host]
            keep = next((r for r in current if r.data == address), None)
            for record in current:
                if record is not keep:
                    await self._delete_record(onboarding, record.id)
            if keep is None:
                await self._call(
                    f"point {self._fqdn(onboarding, host)} at the droplet",
                    partial(self._add_record, domain, "A", host, address),
                )
        served = await self._serving.configure(onboarding, instance)
        return (
            f"{domain} and www.{domain} point at {address} (delegate the domain to "
            "ns1, ns2 and ns3.digitalocean.com; the droplet obtains its TLS certificate once "
            f"they answer). {served}"
        )

    @staticmethod
    def _fqdn(onboarding: Onboarding, host: str) -> str:
        return onboarding.domain if host == "@" else f"{host}.{onboarding.domain}"

    async def _records(self, onboarding: Onboarding) -> list[Any] | None:
        """The records of the ISP's domain, or None when the account has no such domain."""
        try:
            return await self._call(
                f"read the DNS records of {onboarding.domain}",
                lambda: self._new(_Domain, name=onboarding.domain).get_records(),
            )
        except NotFoundError:
            return None

    @staticmethod
    def _is_the_isps(records: list[Any], onboarding: Onboarding) -> bool:
        """Marked as this ISP's; or unmarked and empty but for the NS and SOA records
        DigitalOcean makes (so configure made it, and stopped before it could mark it)."""
        marks = {r.data for r in records if r.type == "TXT" and r.name == OWNER_RECORD}
        if marks:
            return marks == {names(onboarding)["owner"]}
        return all(r.type in ("NS", "SOA") for r in records)

    async def _claim_domain(self, onboarding: Onboarding) -> list[Any]:
        domain = onboarding.domain
        records = await self._records(onboarding)
        if records is None:
            await self._call(
                f"add {domain} to DigitalOcean's DNS",
                lambda: self._new(_Domain, name=domain, ip_address=None).create(),
            )
            records = await self._records(onboarding) or []
        if not self._is_the_isps(records, onboarding):
            raise ConfigurationError(
                f"{domain} is already a domain of the DigitalOcean account, with records "
                "DotMac did not make for this ISP: remove the domain there (or move its records "
                "elsewhere) and onboard the ISP again"
            )
        if not any(r.type == "TXT" and r.name == OWNER_RECORD for r in records):
            await self._call(
                f"mark {domain} as the ISP's",
                partial(self._add_record, domain, "TXT", OWNER_RECORD, names(onboarding)["owner"]),
            )
        return records

    def _add_record(self, domain: str, kind: str, name: str, data: str) -> Any:
        return self._new(_Domain, name=domain).create_new_domain_record(
            type=kind, name=name, data=data, ttl=RECORD_TTL
        )

    async def _delete_record(self, onboarding: Onboarding, record_id: int) -> None:
        await self._delete(
            f"delete a DNS record of {onboarding.domain}",
            lambda: self._new(_Domain, name=onboarding.domain).delete_domain_record(id=record_id),
        )

    # --- validate ------------------------------------------------------------------------------

    async def validate(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        self._require_token()
        droplet = await self._active(onboarding)
        records = await self._records(onboarding)
        if records is None:
            raise InstanceNotReady(f"DigitalOcean has no domain {onboarding.domain} yet")
        for host in HOSTS:
            pointed = [r.data for r in records if r.type == "A" and r.name == host]
            if pointed != [droplet.ip_address]:
                raise InstanceNotReady(
                    f"{self._fqdn(onboarding, host)} does not point at {droplet.ip_address} yet"
                )
        return await self._serving.validate(onboarding, instance)

    # --- compensations ------------------------------------------------------------------------

    async def unconfigure(self, onboarding: Onboarding) -> None:
        """Delete the ISP's DNS records and its domain, if the domain is the ISP's."""
        self._require_token()
        await self._serving.unconfigure(onboarding)
        records = await self._records(onboarding)
        if records is None or not self._is_the_isps(records, onboarding):
            return
        for record in records:
            if (record.type == "A" and record.name in HOSTS) or (
                record.type == "TXT" and record.name == OWNER_RECORD
            ):
                await self._delete_record(onboarding, record.id)
        await self._delete(
            f"delete the domain {onboarding.domain}",
            lambda: self._new(_Domain, name=onboarding.domain).destroy(),
        )

    async def deprovision(self, onboarding: Onboarding) -> None:
        """Destroy the droplet, then the firewall and the volume."""
        self._require_token()
        for droplet in await self._droplets(onboarding):
            await self._delete(
                "destroy the ISP's droplet", partial(self._destroy, _Droplet, droplet.id)
            )
        for firewall in await self._firewalls(onboarding):
            await self._delete(
                "delete the ISP's firewall", partial(self._destroy, _Firewall, firewall.id)
            )
        for volume in await self._volumes(onboarding):
            # Refused while DigitalOcean still detaches it from the destroyed droplet: the
            # compensation is retried until it lets go.
            await self._delete(
                "delete the ISP's volume", partial(self._destroy, _Volume, volume.id)
            )

    def _destroy(self, kind: Callable[..., Any], resource_id: int | str) -> Any:
        return self._new(kind, id=resource_id).destroy()
