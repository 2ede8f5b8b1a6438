"""Onboarding on the digitalocean provider, against the fake of DigitalOcean's API: an ISP
registered in the region the platform places on DigitalOcean gets its droplet, volume, firewall
and domain and goes active; a failure injected at every step leaves nothing behind on
DigitalOcean, in the database, tenant-api or the gateway."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from dotmac_contracts.vocabulary import DeploymentStep
from provisioning.providers.digitalocean import DigitalOceanProvider

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


@pytest.fixture
async def do_api(platform) -> AsyncIterator[httpx.AsyncClient]:
    """DigitalOcean's API (the fake), as the platform's token sees it."""
    async with httpx.AsyncClient(
        base_url=f"{platform.digitalocean.url}/v2",
        headers={"Authorization": f"Bearer {platform.do_token}"},
        timeout=10,
    ) as client:
        yield client


async def listed(api: httpx.AsyncClient, path: str, key: str, **params: str) -> list[Any]:
    response = await api.get(path, params={"per_page": "200", **params})
    assert response.status_code == 200, response.text
    return list(response.json()[key])


async def droplets(api: httpx.AsyncClient, isp_id: str) -> list[dict[str, Any]]:
    return await listed(api, "/droplets", "droplets", tag_name=f"isp-{isp_id}")


async def volumes(api: httpx.AsyncClient, slug: str) -> list[dict[str, Any]]:
    return await listed(api, "/volumes", "volumes", name=f"dotmac-isp-{slug}-data")


async def firewalls(api: httpx.AsyncClient, slug: str) -> list[dict[str, Any]]:
    every = await listed(api, "/firewalls", "firewalls")
    return [f for f in every if f["name"] == f"dotmac-isp-{slug}"]


async def domains(api: httpx.AsyncClient, name: str) -> list[str]:
    return [d["name"] for d in await listed(api, "/domains", "domains") if d["name"] == name]


async def a_records(api: httpx.AsyncClient, domain: str) -> list[tuple[str, str]]:
    records = await listed(api, f"/domains/{domain}/records", "domain_records", type="A")
    return sorted((r["name"], r["data"]) for r in records)


async def test_an_isp_placed_on_digitalocean_gets_its_droplet_volume_firewall_and_domain(
    platform, http, do_api
):
    body = platform.registration("Fjord Fiber", region=platform.do_region, tier="premium")
    accepted = (await http.post(f"{platform.gateway_url}/api/v1/isp/register", json=body)).json()
    status = await platform.wait_for_state(
        http, platform.gateway_url + accepted["status_url"], {"active", "rolled_back"}, 60
    )
    assert status["state"] == "active", status
    assert status["provider"] == "digitalocean"
    assert [s["status"] for s in status["steps"]] == ["completed"] * len(DeploymentStep)
    isp_id, slug, domain = accepted["isp_id"], accepted["slug"], body["domain"]

    [droplet] = await droplets(do_api, isp_id)
    assert droplet["name"] == f"dotmac-isp-{slug}"
    assert droplet["size_slug"] == "s-4vcpu-8gb"  # the premium size
    assert droplet["region"]["slug"] == "fra1"  # eu-central-1
    assert sorted(droplet["tags"]) == sorted(["dotmac", f"isp-{isp_id}", "tier-premium"])
    assert droplet["status"] == "active"
    [address] = [n["ip_address"] for n in droplet["networks"]["v4"] if n["type"] == "public"]

    [volume] = await volumes(do_api, slug)
    assert volume["size_gigabytes"] == 200  # the premium storage
    assert volume["region"]["slug"] == "fra1"
    assert volume["droplet_ids"] == [droplet["id"]]
    assert droplet["volume_ids"] == [volume["id"]]

    [firewall] = await firewalls(do_api, slug)
    assert firewall["tags"] == [f"isp-{isp_id}"]
    inbound = sorted((r["protocol"], int(r["ports"])) for r in firewall["inbound_rules"])
    assert inbound == [("tcp", 80), ("tcp", 443)]
    assert all(
        r["sources"]["addresses"] == ["0.0.0.0/0", "::/0"] for r in firewall["inbound_rules"]
    )

    assert await domains(do_api, domain) == [domain]
    assert await a_records(do_api, domain) == [("@", address), ("www", address)]
    steps = {s["name"]: s["detail"] for s in status["steps"]}
    assert str(droplet["id"]) in steps["provisioning"]
    assert address in steps["configuring"]
    # The tenant answers through the gateway, like any other.
    health = await http.get(
        f"{platform.gateway_url}/api/v1/tenant/health", headers={"Host": f"{slug}.localhost"}
    )
    assert health.status_code == 200 and health.json()["tenant_id"] == isp_id


@pytest.mark.parametrize("step", [s.value for s in DeploymentStep])
async def test_a_failure_at_any_step_is_rolled_back_leaving_nothing_on_digitalocean(
    platform, faults, do_api, monkeypatch, step
):
    monkeypatch.setenv(
        "DIGITALOCEAN_END_POINT",
        platform.digitalocean.client_environment()["DIGITALOCEAN_END_POINT"],
    )
    onboarding = faults.onboarding(provider="digitalocean", region=platform.do_region)
    await faults.fail_at(
        step,
        onboarding,
        lambda serving: DigitalOceanProvider(
            serving=serving,
            token=platform.do_token,
            image="ubuntu-24-04-x64",
            boot_wait_s=5,
            poll_s=0.2,
        ),
    )
    # Nothing is left on DigitalOcean (`fail_at` checked the gateway, tenant-api and
    # provisioning).
    assert await droplets(do_api, onboarding.isp_id) == []
    assert await volumes(do_api, onboarding.slug) == []
    assert await firewalls(do_api, onboarding.slug) == []
    assert await domains(do_api, onboarding.domain) == []
