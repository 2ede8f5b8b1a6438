"""The fake of DigitalOcean's API answers the calls the digitalocean provider makes as
DigitalOcean does: it wants a bearer token, refuses what DigitalOcean refuses with 422 and its
error document, pages its lists, boots droplets, and works with python-digitalocean itself."""

import uuid
from collections.abc import Iterator

import digitalocean
import httpx
import pytest

from devstack.components import FakeDigitalOcean

pytestmark = pytest.mark.integration


@pytest.fixture
def api(fake_digitalocean: FakeDigitalOcean) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{fake_digitalocean.url}/v2",
        headers={"Authorization": f"Bearer {fake_digitalocean.token}"},
        timeout=10,
    ) as client:
        yield client


def droplet(tag: str, **changes: object) -> dict:
    return {
        "name": f"dotmac-isp-{uuid.uuid4().hex[:8]}",
        "region": "fra1",
        "size": "s-1vcpu-2gb",
        "image": "ubuntu-24-04-x64",
        "tags": ["dotmac", tag],
        **changes,
    }


def test_a_request_without_the_token_is_refused_with_401(fake_digitalocean, api):
    anonymous = httpx.get(f"{fake_digitalocean.url}/v2/account")
    assert anonymous.status_code == 401
    assert anonymous.json()["id"] == "unauthorized"
    wrong = httpx.get(
        f"{fake_digitalocean.url}/v2/droplets", headers={"Authorization": "Bearer someone-else"}
    )
    assert wrong.status_code == 401
    account = api.get("/account")
    assert account.status_code == 200
    assert account.json()["account"]["status"] == "active"


@pytest.mark.parametrize(
    ("change", "complaint"),
    [({"size": "s-99vcpu-1tb"}, "invalid size"), ({"region": "mars1"}, "invalid region")],
)
def test_an_unknown_size_or_region_is_refused_with_422(api, change, complaint):
    tag = f"isp-{uuid.uuid4()}"
    refused = api.post("/droplets", json=droplet(tag, **change))
    assert refused.status_code == 422
    assert refused.json()["id"] == "unprocessable_entity"
    assert complaint in refused.json()["message"]
    assert api.get("/droplets", params={"tag_name": tag}).json()["droplets"] == []


def test_an_invalid_domain_name_is_refused_with_422(api):
    for name in ("not a domain", "-acme.example", "acme", "acme..example"):
        refused = api.post("/domains", json={"name": name})
        assert refused.status_code == 422, name
        assert refused.json()["id"] == "unprocessable_entity"
    name = f"acme-{uuid.uuid4().hex[:8]}.example"
    assert api.post("/domains", json={"name": name}).status_code == 201
    records = api.get(f"/domains/{name}/records").json()["domain_records"]
    assert sorted((r["type"], r["data"]) for r in records) == [
        ("NS", "ns1.digitalocean.com"),
        ("NS", "ns2.digitalocean.com"),
        ("NS", "ns3.digitalocean.com"),
        ("SOA", "1800"),
    ]
    bad_record = api.post(
        f"/domains/{name}/records", json={"type": "A", "name": "www", "data": "not-an-ip"}
    )
    assert bad_record.status_code == 422
    assert api.get("/domains/nowhere.example").status_code == 404


def test_lists_come_in_pages_shaped_like_digitaloceans(fake_digitalocean, api, monkeypatch):
    tag = f"isp-{uuid.uuid4()}"
    created = [api.post("/droplets", json=droplet(tag)).json()["droplet"]["id"] for _ in range(3)]

    first = api.get("/droplets", params={"tag_name": tag, "per_page": 2}).json()
    assert [d["id"] for d in first["droplets"]] == created[:2]
    assert first["meta"] == {"total": 3}
    assert set(first["links"]["pages"]) == {"next", "last"}
    second = httpx.get(first["links"]["pages"]["next"], headers=api.headers).json()
    assert [d["id"] for d in second["droplets"]] == created[2:]
    assert set(second["links"]["pages"]) == {"first", "prev"}
    one_page = api.get("/droplets", params={"tag_name": tag}).json()
    assert one_page["links"] == {} and one_page["meta"] == {"total": 3}

    # python-digitalocean follows the pages to the end.
    monkeypatch.setenv(
        "DIGITALOCEAN_END_POINT", fake_digitalocean.client_environment()["DIGITALOCEAN_END_POINT"]
    )
    manager = digitalocean.Manager(token=fake_digitalocean.token)
    listed = manager.get_all_droplets(tag_name=tag, params={"per_page": 1})
    assert sorted(d.id for d in listed) == created


def test_a_droplet_boots_new_then_active_with_a_public_address(api):
    created = api.post("/droplets", json=droplet(f"isp-{uuid.uuid4()}", ipv6=True))
    assert created.status_code == 202
    body = created.json()
    assert body["droplet"]["status"] == "new" and body["links"]["actions"]
    url = f"/droplets/{body['droplet']['id']}"
    first = api.get(url).json()["droplet"]
    assert first["status"] == "new" and first["networks"]["v4"] == []
    booted = api.get(url).json()["droplet"]
    assert booted["status"] == "active"
    [public] = [n for n in booted["networks"]["v4"] if n["type"] == "public"]
    assert public["ip_address"].count(".") == 3
    assert booted["networks"]["v6"]


def test_a_volume_attaches_and_is_deleted_only_once_free(api):
    volume = api.post(
        "/volumes",
        json={"name": f"data-{uuid.uuid4().hex[:8]}", "region": "fra1", "size_gigabytes": 10},
    ).json()["volume"]
    assert api.get("/volumes", params={"name": volume["name"]}).json()["meta"]["total"] == 1
    machine = api.post("/droplets", json=droplet(f"isp-{uuid.uuid4()}")).json()["droplet"]
    attached = api.post(
        f"/volumes/{volume['id']}/actions",
        json={"type": "attach", "droplet_id": machine["id"], "region": "fra1"},
    )
    assert attached.status_code == 202
    assert api.get(f"/volumes/{volume['id']}").json()["volume"]["droplet_ids"] == [machine["id"]]
    assert api.delete(f"/volumes/{volume['id']}").status_code == 409
    assert api.delete(f"/droplets/{machine['id']}").status_code == 204
    assert api.delete(f"/volumes/{volume['id']}").status_code == 204
    assert api.get("/volumes", params={"name": volume["name"]}).json()["volumes"] == []
