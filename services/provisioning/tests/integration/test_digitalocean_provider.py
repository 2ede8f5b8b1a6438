"""The digitalocean provider against the fake of DigitalOcean's API, without the rest of the
platform: what DigitalOcean refuses becomes a configuration error with a reason, throttling and
outages stay transient, every step finds its earlier work, and a domain that is not the ISP's is
neither taken nor deleted."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from devstack.components import FakeDigitalOcean
from devstack.ports import free_port
from provisioning.errors import ConfigurationError
from provisioning.onboarding.messages import Onboarding
from provisioning.providers.base import InstanceInfo
from provisioning.providers.digitalocean import DigitalOceanProvider, DigitalOceanUnavailable
from provisioning.providers.local import LocalProvider

pytestmark = pytest.mark.integration

INSTANCE = InstanceInfo(host="isp.localhost", url="http://isp.localhost", detail="")


class Serving(LocalProvider):
    """The shared ISP framework, stood in for: these tests are about DigitalOcean alone."""

    def __init__(self) -> None:
        pass

    async def provision(self, onboarding: Onboarding) -> InstanceInfo:
        return INSTANCE

    async def deploy(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        return "served"

    async def configure(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        return "routed"

    async def validate(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        return "healthy"

    async def unconfigure(self, onboarding: Onboarding) -> None:
        return None


def an_isp(region: str = "eu-central-1") -> Onboarding:
    suffix = uuid.uuid4().hex[:8]
    return Onboarding(
        isp_id=str(uuid.uuid4()),
        deployment_id=str(uuid.uuid4()),
        slug=f"isp-{suffix}",
        company_name=f"ISP {suffix}",
        tier="free",
        region=region,
        provider="digitalocean",
        domain=f"isp-{suffix}.example",
        contact_email=f"owner@isp-{suffix}.example",
    )


def provider(token: str, image: str = "ubuntu-24-04-x64") -> DigitalOceanProvider:
    return DigitalOceanProvider(
        serving=Serving(), token=token, image=image, boot_wait_s=5, poll_s=0.05
    )


@pytest.fixture
async def api(fake_digitalocean: FakeDigitalOcean, monkeypatch) -> AsyncIterator[httpx.AsyncClient]:
    """The fake, for the provider (through DIGITALOCEAN_END_POINT) and for the test to look."""
    monkeypatch.setenv(
        "DIGITALOCEAN_END_POINT", fake_digitalocean.client_environment()["DIGITALOCEAN_END_POINT"]
    )
    async with httpx.AsyncClient(
        base_url=f"{fake_digitalocean.url}/v2",
        headers={"Authorization": f"Bearer {fake_digitalocean.token}"},
        timeout=10,
    ) as client:
        yield client


async def left_behind(api: httpx.AsyncClient, isp: Onboarding) -> dict[str, list]:
    droplets = (await api.get("/droplets", params={"tag_name": f"isp-{isp.isp_id}"})).json()
    volumes = (await api.get("/volumes", params={"name": f"dotmac-isp-{isp.slug}-data"})).json()
    firewalls = (await api.get("/firewalls", params={"per_page": 200})).json()
    domain = await api.get(f"/domains/{isp.domain}")
    return {
        "droplets": droplets["droplets"],
        "volumes": volumes["volumes"],
        "firewalls": [f for f in firewalls["firewalls"] if f["name"] == f"dotmac-isp-{isp.slug}"],
        "domains": [domain.json()["domain"]] if domain.status_code == 200 else [],
    }


NOTHING: dict[str, list] = {"droplets": [], "volumes": [], "firewalls": [], "domains": []}


async def a_records(api: httpx.AsyncClient, domain: str) -> list[tuple[str, str]]:
    listed = (await api.get(f"/domains/{domain}/records", params={"type": "A"})).json()
    return sorted((r["name"], r["data"]) for r in listed["domain_records"])


async def test_without_a_token_every_step_asks_for_one(api):
    isp, unset = an_isp(), provider(token="")
    steps = [
        unset.provision(isp),
        unset.deploy(isp, INSTANCE),
        unset.configure(isp, INSTANCE),
        unset.validate(isp, INSTANCE),
        unset.unconfigure(isp),
        unset.deprovision(isp),
    ]
    for step in steps:
        with pytest.raises(ConfigurationError, match="set PROVISIONING_DIGITALOCEAN_TOKEN"):
            await step


async def test_a_token_digitalocean_refuses_is_a_configuration_error(api):
    isp = an_isp()
    with pytest.raises(ConfigurationError, match="PROVISIONING_DIGITALOCEAN_TOKEN") as refused:
        await provider(token="revoked-token").provision(isp)
    assert "401" in str(refused.value)
    assert await left_behind(api, isp) == NOTHING


async def test_a_region_digitalocean_lacks_is_named_in_the_error(api, fake_digitalocean):
    isp = an_isp(region="sa-east-1")
    with pytest.raises(ConfigurationError, match="sa-east-1"):
        await provider(fake_digitalocean.token).provision(isp)
    assert await left_behind(api, isp) == NOTHING


async def test_an_image_digitalocean_lacks_is_a_configuration_error(api, fake_digitalocean):
    isp, unknown = an_isp(), provider(fake_digitalocean.token, image="windows-95")
    with pytest.raises(ConfigurationError, match="invalid image") as refused:
        await unknown.provision(isp)
    assert "422" in str(refused.value)
    await unknown.deprovision(isp)  # the volume it made before the droplet was refused
    assert await left_behind(api, isp) == NOTHING


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, ConfigurationError),
        (403, ConfigurationError),
        (429, DigitalOceanUnavailable),
        (500, DigitalOceanUnavailable),
        (503, DigitalOceanUnavailable),
    ],
)
async def test_refusals_are_reported_and_outages_retried(api, fake_digitalocean, status, kind):
    isp, do = an_isp(), provider(fake_digitalocean.token)
    await api.post(f"{fake_digitalocean.url}/_fake/outage", json={"status": status, "count": 1})
    with pytest.raises((ConfigurationError, DigitalOceanUnavailable)) as failed:
        await do.provision(isp)
    assert type(failed.value) is kind
    await do.provision(isp)  # the next attempt gets through
    await do.deprovision(isp)
    assert await left_behind(api, isp) == NOTHING


async def test_digitalocean_out_of_reach_is_transient(monkeypatch):
    monkeypatch.setenv("DIGITALOCEAN_END_POINT", f"http://127.0.0.1:{free_port()}/v2/")
    with pytest.raises(DigitalOceanUnavailable, match="out of reach"):
        await provider("any-token").provision(an_isp())


async def test_every_step_run_twice_finds_its_work_and_the_compensations_remove_it(
    api, fake_digitalocean
):
    isp, do = an_isp(), provider(fake_digitalocean.token)
    await do.provision(isp)
    await do.provision(isp)
    await do.deploy(isp, INSTANCE)
    await do.configure(isp, INSTANCE)
    await do.configure(isp, INSTANCE)
    assert await do.validate(isp, INSTANCE) == "healthy"

    made = await left_behind(api, isp)
    assert [len(made[kind]) for kind in ("droplets", "volumes", "firewalls", "domains")] == [
        1,
        1,
        1,
        1,
    ]
    [droplet] = made["droplets"]
    [address] = [n["ip_address"] for n in droplet["networks"]["v4"] if n["type"] == "public"]
    assert await a_records(api, isp.domain) == [("@", address), ("www", address)]
    assert made["volumes"][0]["droplet_ids"] == [droplet["id"]]

    await do.unconfigure(isp)
    await do.unconfigure(isp)
    await do.deprovision(isp)
    await do.deprovision(isp)
    assert await left_behind(api, isp) == NOTHING


async def test_a_domain_that_is_not_the_isps_is_neither_taken_nor_deleted(api, fake_digitalocean):
    isp, do = an_isp(), provider(fake_digitalocean.token)
    assert (await api.post("/domains", json={"name": isp.domain})).status_code == 201
    mail = {"type": "MX", "name": "@", "data": "mail.elsewhere.example", "priority": 10}
    assert (await api.post(f"/domains/{isp.domain}/records", json=mail)).status_code == 201
    await do.provision(isp)
    await do.deploy(isp, INSTANCE)

    with pytest.raises(ConfigurationError, match="already a domain of the DigitalOcean account"):
        await do.configure(isp, INSTANCE)
    await do.unconfigure(isp)
    await do.deprovision(isp)

    assert (await api.get(f"/domains/{isp.domain}")).status_code == 200
    assert await a_records(api, isp.domain) == []
    assert (await left_behind(api, isp))["droplets"] == []
    await api.delete(f"/domains/{isp.domain}")
