"""The operator's listing of ISPs: every ISP with its deployment's state, filtered and counted,
for the operator token only."""

import copy
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from registration.bootstrap import bootstrap
from registration.config import Settings
from registration.entrypoints import api as api_entry
from servicekit.config import PlatformSettings
from servicekit.testing import served

pytestmark = pytest.mark.integration

OPERATOR = {"Authorization": "Bearer listing-operator-token"}
LISTING = "/api/v1/registration/operator/isps"


@pytest.fixture(scope="module")
async def api(migrated_database, nats_server) -> AsyncIterator[httpx.AsyncClient]:
    platform = PlatformSettings(
        database_url=migrated_database,
        nats_url=nats_server.url,
        operator_token="listing-operator-token",
        internal_token="listing-internal-token",
    )
    registration = bootstrap(Settings(platform=platform))
    async with served(
        registration.runtime, [api_entry.role(registration)], base_url="http://gateway"
    ) as client:
        yield client


async def register(api: httpx.AsyncClient, body: dict[str, Any], name: str, **changes: Any) -> str:
    fresh = copy.deepcopy(body)
    tag = uuid.uuid4().hex[:8]
    fresh["company"]["name"] = f"{name} {tag}"
    fresh["company"]["registration_number"] = tag
    fresh["domain"] = f"{tag}.example"
    fresh.update(changes)
    accepted = await api.post("/api/v1/isp/register", json=fresh)
    assert accepted.status_code == 202, accepted.text
    return str(accepted.json()["isp_id"])


async def test_the_operator_finds_isps_by_name_tier_region_and_state(api, body):
    marker = uuid.uuid4().hex[:6]
    before = (await api.get(LISTING, headers=OPERATOR, params={"limit": 1})).json()["counts"]
    premium = await register(api, body, f"Listed {marker} Fiber", tier="premium")
    basic = await register(api, body, f"Listed {marker} Cable", region="eu-west-1")

    found = await api.get(LISTING, headers=OPERATOR, params={"q": f"listed {marker}"})
    assert found.status_code == 200, found.text
    listing = found.json()
    assert listing["total"] == 2
    assert [i["isp_id"] for i in listing["items"]] == [basic, premium]  # the newest first
    first = listing["items"][1]
    assert first["tier"] == "premium" and first["region"] == "us-east-1"
    assert first["state"] == "registered" and first["slug"].startswith(f"listed-{marker}")

    by_tier = await api.get(LISTING, headers=OPERATOR, params={"q": marker, "tier": "premium"})
    assert [i["isp_id"] for i in by_tier.json()["items"]] == [premium]
    by_region = await api.get(
        LISTING, headers=OPERATOR, params={"q": marker, "region": "eu-west-1"}
    )
    assert [i["isp_id"] for i in by_region.json()["items"]] == [basic]
    by_state = await api.get(LISTING, headers=OPERATOR, params={"q": marker, "state": "active"})
    assert by_state.json()["total"] == 0
    by_slug = await api.get(LISTING, headers=OPERATOR, params={"q": first["slug"]})
    assert [i["isp_id"] for i in by_slug.json()["items"]] == [premium]

    # the counts are of every ISP, whatever the filters
    after = listing["counts"]
    assert after["by_state"]["registered"] == before["by_state"].get("registered", 0) + 2
    assert after["by_tier"]["premium"] == before["by_tier"].get("premium", 0) + 1
    assert after["by_region"]["eu-west-1"] == before["by_region"].get("eu-west-1", 0) + 1

    one = await api.get(f"{LISTING}/{premium}", headers=OPERATOR)
    assert one.status_code == 200 and one.json() == first


async def test_a_search_is_literal_text_not_a_pattern(api, body):
    await register(api, body, "Percent Networks")
    everything = await api.get(LISTING, headers=OPERATOR, params={"q": "%"})
    assert everything.status_code == 200 and everything.json()["total"] == 0
    underscore = await api.get(LISTING, headers=OPERATOR, params={"q": "_"})
    assert underscore.json()["total"] == 0


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer listing-internal-token"},
        {"Authorization": "Bearer not-the-token"},
        {"Authorization": "listing-operator-token"},
    ],
)
async def test_only_the_operator_token_lists_isps(api, headers):
    for path in (LISTING, f"{LISTING}/{uuid.uuid4()}"):
        refused = await api.get(path, headers=headers)
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert "operator token" in refused.json()["detail"]


@pytest.mark.parametrize(
    "params",
    [
        {"state": "happy"},
        {"tier": "gold"},
        {"region": "mars-1"},
        {"limit": 0},
        {"limit": 501},
        {"offset": -1},
        {"q": "x" * 201},
        {"q": "nul\x00byte"},
    ],
)
async def test_bad_filters_are_422(api, params):
    refused = await api.get(LISTING, headers=OPERATOR, params=params)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"


async def test_an_unknown_isp_is_a_404(api):
    missing = await api.get(f"{LISTING}/{uuid.uuid4()}", headers=OPERATOR)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
