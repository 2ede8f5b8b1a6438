"""The fake account: its resources and what DigitalOcean says about each change to them."""

import ipaddress
import itertools
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

REGIONS = {
    "nyc1": "New York 1",
    "nyc3": "New York 3",
    "sfo3": "San Francisco 3",
    "tor1": "Toronto 1",
    "ams3": "Amsterdam 3",
    "fra1": "Frankfurt 1",
    "lon1": "London 1",
    "blr1": "Bangalore 1",
    "sgp1": "Singapore 1",
    "syd1": "Sydney 1",
}
SIZES = {  # slug: (memory MB, vCPUs, disk GB, USD a month)
    "s-1vcpu-512mb-10gb": (512, 1, 10, 4),
    "s-1vcpu-1gb": (1024, 1, 25, 6),
    "s-1vcpu-2gb": (2048, 1, 50, 12),
    "s-2vcpu-2gb": (2048, 2, 60, 18),
    "s-2vcpu-4gb": (4096, 2, 80, 24),
    "s-4vcpu-8gb": (8192, 4, 160, 48),
    "s-8vcpu-16gb": (16384, 8, 320, 96),
    "c-2": (4096, 2, 25, 42),
    "g-2vcpu-8gb": (8192, 2, 25, 63),
}
IMAGES = {"ubuntu-24-04-x64", "ubuntu-22-04-x64", "debian-12-x64", "rockylinux-9-x64"}
RECORD_TYPES = {"A", "AAAA", "CAA", "CNAME", "MX", "NS", "SRV", "TXT"}
NAMESERVERS = ("ns1.digitalocean.com", "ns2.digitalocean.com", "ns3.digitalocean.com")
ACCOUNT = {
    "droplet_limit": 25,
    "floating_ip_limit": 3,
    "volume_limit": 100,
    "email": "dev@dotmac.example",
    "uuid": "b6fr89dbf6d9156cace5f3c78dc9851d957381ef",
    "email_verified": True,
    "status": "active",
    "status_message": "",
}
ANNOUNCED = {  # statuses a test may inject, with DigitalOcean's error id and message
    401: ("unauthorized", "Unable to authenticate you"),
    403: ("forbidden", "You do not have access for the attempted action."),
    429: ("too_many_requests", "API Rate limit exceeded."),
    500: ("server_error", "Server was unable to give you a response."),
    503: ("service_unavailable", "Service is currently unavailable. Try again later."),
}

HOSTNAME = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,253}[a-zA-Z0-9])?$")
VOLUME_NAME = re.compile(r"^[a-z][a-z0-9-]{0,63}$")
FIREWALL_NAME = re.compile(r"^[a-zA-Z0-9.-]{1,255}$")
TAG = re.compile(r"^[a-zA-Z0-9_:-]{1,255}$")
DOMAIN = re.compile(r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
RECORD_NAME = re.compile(r"^(@|\*|[a-zA-Z0-9_*]([a-zA-Z0-9_.-]{0,251}[a-zA-Z0-9_])?)$")
PORTS = re.compile(r"^(all|0|\d{1,5}(-\d{1,5})?)$")


class ApiError(Exception):
    """A refusal, as DigitalOcean words it: the HTTP status, an error id and a message."""

    def __init__(self, status: int, id: str, message: str) -> None:
        super().__init__(message)
        self.status, self.id, self.message = status, id, message


def invalid(message: str) -> ApiError:
    return ApiError(422, "unprocessable_entity", message)


def not_found() -> ApiError:
    return ApiError(404, "not_found", "The resource you requested could not be found.")


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def region_json(slug: str) -> dict[str, Any]:
    return {
        "slug": slug,
        "name": REGIONS[slug],
        "sizes": sorted(SIZES),
        "features": ["backups", "ipv6", "metadata", "install_agent", "storage"],
        "available": True,
    }


def tags_of(body: dict[str, Any]) -> list[str]:
    tags = body.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) and TAG.match(t) for t in tags):
        raise invalid("Tags may contain letters, numbers, colons, dashes, and underscores only.")
    return list(dict.fromkeys(tags))


def addresses() -> Iterator[str]:
    """Public addresses from the documentation ranges (RFC 5737), never a real host's."""
    nets = ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
    for net in itertools.cycle(nets):
        yield from (str(host) for host in ipaddress.ip_network(net).hosts())


class DigitalOcean:
    """The account's resources and the API's answers about them."""

    def __init__(self) -> None:
        self.droplets: dict[int, dict[str, Any]] = {}
        self.seen: set[int] = set()
        self.volumes: dict[str, dict[str, Any]] = {}
        self.firewalls: dict[str, dict[str, Any]] = {}
        self.domains: dict[str, dict[str, Any]] = {}
        self.records: dict[str, dict[int, dict[str, Any]]] = {}
        self.ids = itertools.count(3164444)
        self.public = addresses()

    # --- droplets -------------------------------------------------------------------------------

    def create_droplet(self, body: dict[str, Any]) -> dict[str, Any]:
        name, size, region, image = (body.get(k) for k in ("name", "size", "region", "image"))
        if not isinstance(name, str) or not HOSTNAME.match(name):
            raise invalid("Only valid hostname characters are allowed. (a-z, A-Z, 0-9, . and -)")
        if size not in SIZES:
            raise invalid("You specified an invalid size for Droplet creation.")
        if region not in REGIONS:
            raise invalid("You specified an invalid region for Droplet creation.")
        if image not in IMAGES and not isinstance(image, int):
            raise invalid("You specified an invalid image for Droplet creation.")
        tags, volume_ids = tags_of(body), list(body.get("volumes") or [])
        for volume_id in volume_ids:
            volume = self.volumes.get(volume_id)
            if volume is None or volume["region"]["slug"] != region or volume["droplet_ids"]:
                raise invalid(f"Volume {volume_id} is not available in {region} to attach.")
        memory, vcpus, disk, price = SIZES[size]
        droplet = {
            "id": next(self.ids),
            "name": name,
            "memory": memory,
            "vcpus": vcpus,
            "disk": disk,
            "locked": False,
            "status": "new",
            "kernel": None,
            "created_at": now(),
            "features": [f for f in ("ipv6", "monitoring") if body.get(f)],
            "backup_ids": [],
            "snapshot_ids": [],
            "next_backup_window": None,
            "image": {"id": 1000, "slug": image, "name": str(image), "distribution": "Ubuntu"},
            "volume_ids": volume_ids,
            "size": {
                "slug": size,
                "memory": memory,
                "vcpus": vcpus,
                "disk": disk,
                "price_monthly": price,
                "available": True,
            },
            "size_slug": size,
            "networks": {"v4": [], "v6": []},
            "region": region_json(region),
            "tags": tags,
            "vpc_uuid": body.get("vpc_uuid") or str(uuid.uuid5(uuid.NAMESPACE_DNS, region)),
        }
        self.droplets[droplet["id"]] = droplet
        for volume_id in volume_ids:
            self.volumes[volume_id]["droplet_ids"] = [droplet["id"]]
        return droplet

    def look_at(self, droplet: dict[str, Any]) -> dict[str, Any]:
        """A droplet is seen `new` once; from the next look on it has booted."""
        if droplet["status"] == "new" and droplet["id"] in self.seen:
            droplet["status"] = "active"
            public = next(self.public)
            droplet["networks"]["v4"] = [
                {
                    "ip_address": public,
                    "netmask": "255.255.255.0",
                    "gateway": public.rsplit(".", 1)[0] + ".1",
                    "type": "public",
                },
                {
                    "ip_address": f"10.110.0.{droplet['id'] % 250 + 2}",
                    "netmask": "255.255.240.0",
                    "gateway": "10.110.0.1",
                    "type": "private",
                },
            ]
            if "ipv6" in droplet["features"]:
                droplet["networks"]["v6"] = [
                    {
                        "ip_address": f"2001:db8::{droplet['id']:x}",
                        "netmask": 64,
                        "gateway": "2001:db8::1",
                        "type": "public",
                    }
                ]
        self.seen.add(droplet["id"])
        return droplet

    def delete_droplet(self, droplet_id: int) -> None:
        if self.droplets.pop(droplet_id, None) is None:
            raise not_found()
        for volume in self.volumes.values():
            volume["droplet_ids"] = [d for d in volume["droplet_ids"] if d != droplet_id]
        for firewall in self.firewalls.values():
            firewall["droplet_ids"] = [d for d in firewall["droplet_ids"] if d != droplet_id]

    # --- volumes --------------------------------------------------------------------------------

    def create_volume(self, body: dict[str, Any]) -> dict[str, Any]:
        name, region, size = body.get("name"), body.get("region"), body.get("size_gigabytes")
        if not isinstance(name, str) or not VOLUME_NAME.match(name):
            raise invalid("name must be lowercase letters, numbers and '-', starting with a letter")
        if region not in REGIONS:
            raise invalid(f"region {region!r} is not a valid region")
        if not isinstance(size, int) or not 1 <= size <= 16384:
            raise invalid("size_gigabytes must be a whole number from 1 to 16384")
        if body.get("filesystem_type") not in (None, "", "ext4", "xfs"):
            raise invalid("filesystem_type must be ext4 or xfs")
        if any(v["name"] == name and v["region"]["slug"] == region for v in self.volumes.values()):
            raise ApiError(409, "conflict", f"a volume named {name} already exists in {region}")
        volume_id = str(uuid.uuid4())
        volume: dict[str, Any] = {
            "id": volume_id,
            "name": name,
            "region": region_json(region),
            "droplet_ids": [],
            "size_gigabytes": size,
            "description": body.get("description") or "",
            "created_at": now(),
            "filesystem_type": body.get("filesystem_type") or "",
            "filesystem_label": body.get("filesystem_label") or "",
            "tags": tags_of(body),
        }
        self.volumes[volume_id] = volume
        return volume

    def volume_action(self, volume_id: str, body: dict[str, Any]) -> dict[str, Any]:
        volume = self.volumes.get(volume_id)
        if volume is None:
            raise not_found()
        kind, droplet_id = body.get("type"), body.get("droplet_id")
        droplet = self.droplets.get(droplet_id) if isinstance(droplet_id, int) else None
        if kind not in ("attach", "detach"):
            raise invalid("type must be attach, detach or resize")
        if droplet is None:
            raise invalid("droplet_id must be a droplet in the volume's region")
        if droplet["region"]["slug"] != volume["region"]["slug"]:
            raise invalid("the droplet and the volume must be in the same region")
        if kind == "attach":
            if volume["droplet_ids"] not in ([], [droplet["id"]]):
                raise invalid("the volume is attached to another droplet")
            volume["droplet_ids"] = [droplet["id"]]
            droplet["volume_ids"] = list(dict.fromkeys([*droplet["volume_ids"], volume_id]))
        else:
            volume["droplet_ids"] = []
            droplet["volume_ids"] = [v for v in droplet["volume_ids"] if v != volume_id]
        return {
            "id": next(self.ids),
            "status": "completed",
            "type": f"{kind}_volume",
            "started_at": now(),
            "completed_at": now(),
            "resource_id": None,
            "resource_type": "volume",
            "region": volume["region"],
            "region_slug": volume["region"]["slug"],
        }

    def delete_volume(self, volume_id: str) -> None:
        volume = self.volumes.get(volume_id)
        if volume is None:
            raise not_found()
        if volume["droplet_ids"]:
            raise ApiError(409, "conflict", "the volume is attached to a droplet; detach it first")
        del self.volumes[volume_id]

    # --- firewalls ------------------------------------------------------------------------------

    def create_firewall(self, body: dict[str, Any]) -> dict[str, Any]:
        name = body.get("name")
        if not isinstance(name, str) or not FIREWALL_NAME.match(name):
            raise invalid("name may contain only letters, numbers, '.' and '-'")
        inbound = [self.rule(r, "sources") for r in body.get("inbound_rules") or []]
        outbound = [self.rule(r, "destinations") for r in body.get("outbound_rules") or []]
        if not inbound and not outbound:
            raise invalid("a firewall needs at least one inbound or outbound rule")
        droplet_ids = list(body.get("droplet_ids") or [])
        if any(d not in self.droplets for d in droplet_ids):
            raise invalid("droplet_ids must name existing droplets")
        firewall_id = str(uuid.uuid4())
        firewall: dict[str, Any] = {
            "id": firewall_id,
            "name": name,
            "status": "succeeded",
            "created_at": now(),
            "pending_changes": [],
            "droplet_ids": droplet_ids,
            "tags": tags_of(body),
            "inbound_rules": inbound,
            "outbound_rules": outbound,
        }
        self.firewalls[firewall_id] = firewall
        return firewall

    @staticmethod
    def rule(rule: dict[str, Any], targets: str) -> dict[str, Any]:
        protocol, ports = rule.get("protocol"), str(rule.get("ports") or "")
        if protocol not in ("tcp", "udp", "icmp"):
            raise invalid("protocol must be tcp, udp or icmp")
        if protocol == "icmp":
            ports = "0"
        elif not PORTS.match(ports):
            raise invalid(f"ports must be a port, a range or 'all', not {ports!r}")
        kept = {k: v for k, v in (rule.get(targets) or {}).items() if v}
        if not kept:
            raise invalid(f"a {protocol} rule needs {targets}")
        return {"protocol": protocol, "ports": ports, targets: kept}

    # --- domains and records --------------------------------------------------------------------

    def create_domain(self, body: dict[str, Any]) -> dict[str, Any]:
        name = body.get("name")
        if not isinstance(name, str) or len(name) > 253 or not DOMAIN.match(name):
            raise invalid("Name is invalid")
        if name in self.domains:
            raise invalid("Name already exists")
        self.domains[name] = {"name": name, "ttl": 1800, "zone_file": None}
        self.records[name] = {}
        self.add_record(name, {"type": "SOA", "name": "@", "data": "1800", "ttl": 1800})
        for server in NAMESERVERS:
            self.add_record(name, {"type": "NS", "name": "@", "data": server, "ttl": 1800})
        if body.get("ip_address"):
            self.create_record(name, {"type": "A", "name": "@", "data": body["ip_address"]})
        return self.domains[name]

    def domain(self, name: str) -> dict[str, Any]:
        if name not in self.domains:
            raise not_found()
        return self.domains[name]

    def create_record(self, domain: str, body: dict[str, Any]) -> dict[str, Any]:
        self.domain(domain)
        kind, name, data = body.get("type"), body.get("name"), body.get("data")
        if kind not in RECORD_TYPES:
            raise invalid(f"Type must be one of {', '.join(sorted(RECORD_TYPES))}")
        if not isinstance(name, str) or not RECORD_NAME.match(name):
            raise invalid("Name is invalid")
        if not isinstance(data, str) or not data:
            raise invalid("Data needs to be set")
        if kind in ("A", "AAAA"):
            try:
                address = ipaddress.ip_address(data)
            except ValueError:
                address = None
            if address is None or address.version != (4 if kind == "A" else 6):
                raise invalid(f"Data needs to be a valid IPv{4 if kind == 'A' else 6} address")
        ttl = body.get("ttl") or 1800
        if not isinstance(ttl, int) or ttl < 30:
            raise invalid("TTL must be at least 30 seconds")
        return self.add_record(domain, {**body, "ttl": ttl})

    def add_record(self, domain: str, body: dict[str, Any]) -> dict[str, Any]:
        record = {
            "id": next(self.ids),
            "type": body["type"],
            "name": body["name"],
            "data": body["data"],
            **{k: body.get(k) for k in ("priority", "port", "weight", "flags", "tag")},
            "ttl": body["ttl"],
        }
        self.records[domain][record["id"]] = record
        return record

    def delete_record(self, domain: str, record_id: int) -> None:
        self.domain(domain)
        record = self.records[domain].get(record_id)
        if record is None:
            raise not_found()
        if record["type"] == "SOA":
            raise invalid("The SOA record of a domain cannot be deleted")
        del self.records[domain][record_id]
