"""A prospect's demo through the gateway, on the whole platform: requested, opened with its
sample data and a welcome email, extended by a sign-in, then converted into a paid ISP that
keeps the demo's data under its own name, host and tier. (Its 7 + 7 days of timers run on the
time-skipping server in services/provisioning/tests/integration/test_demo_lifecycle.py.)"""

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.e2e]
PASSWORD = "a demo password long enough"


async def wait_for_demo(http, url: str, done, timeout: float = 60) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    demo: dict = {}
    while asyncio.get_running_loop().time() < deadline:
        demo = (await http.get(url)).json()
        if done(demo):
            return demo
        await asyncio.sleep(0.1)
    raise AssertionError(f"the demo never got there; last: {demo}")


async def welcome_code(platform, to: str) -> str:
    for _ in range(200):
        mails = [m for m in platform.mail.messages() if m["To"] == to]
        if mails:
            break
        await asyncio.sleep(0.1)
    assert len(mails) == 1, f"{len(mails)} welcome mails to {to}"
    found = re.search(r"^ {4}(\S+)\s*$", mails[0].get_content(), re.MULTILINE)
    assert found is not None
    return found.group(1)


async def sign_in(platform, http, host: dict, email: str) -> dict:
    response = await http.post(
        f"{platform.gateway_url}/api/v1/auth/login",
        json={"email": email, "password": PASSWORD},
        headers=host,
    )
    assert response.status_code == 200, response.text
    return {**host, "Authorization": f"Bearer {response.json()['access_token']}"}


async def test_a_demo_opens_with_sample_data_is_extended_by_use_and_converts_keeping_it(
    platform, http
):
    email = f"dana-{uuid.uuid4().hex[:8]}@bayfiber.example"
    requested = await http.post(
        f"{platform.gateway_url}/api/v1/demos",
        json={"prospect": {"name": "Dana", "email": email}, "company": "Bay Fiber",
              "scenario": "medium"},
    )  # fmt: skip
    assert requested.status_code == 202, requested.text
    demo = requested.json()
    assert (demo["state"], demo["tier"]) == ("requested", "premium")
    url = platform.gateway_url + demo["status_url"]

    opened = await wait_for_demo(http, url, lambda d: d["state"] != "requested")
    assert opened["state"] == "active", opened
    assert opened["url"] == f"http://{demo['slug']}.localhost:{platform.gateway_port}"
    expires = datetime.fromisoformat(opened["expires_at"])
    assert timedelta(days=6, hours=23) < expires - datetime.now(UTC) <= timedelta(days=7)

    # Operators find the demo's lifecycle in Temporal by the ISP id it will have.
    from temporalio.client import Client

    temporal = await Client.connect(platform.temporal_address)
    found = [w.id async for w in temporal.list_workflows(f'IspId = "{demo["demo_id"]}"')]
    assert f"demo-{demo['demo_id']}" in found

    # A second request for the same prospect while this one lives: refused, pointing at it.
    again = await http.post(
        f"{platform.gateway_url}/api/v1/demos",
        json={"prospect": {"name": "Dana", "email": email}, "company": "Bay Fiber"},
    )
    assert again.status_code == 409 and again.json()["demo_id"] == demo["demo_id"]

    host = {"Host": f"{demo['slug']}.localhost"}
    code = await welcome_code(platform, email)
    chosen = await http.post(
        f"{platform.gateway_url}/api/v1/auth/first-login",
        json={"token": code, "password": PASSWORD},
        headers=host,
    )
    assert chosen.status_code == 200, chosen.text
    signed_in = await sign_in(platform, http, host, email)
    customers = await http.get(f"{platform.gateway_url}/api/v1/customers", headers=signed_in)
    assert customers.json()["total"] == 500  # the medium scenario
    # The sign-in kept the demo a week past it.
    extended = await wait_for_demo(
        http, url, lambda d: datetime.fromisoformat(d["expires_at"]) > expires
    )
    assert extended["state"] == "active"

    # Converted into a paid basic ISP: the demo's tenant and data under the ISP's own name.
    body = platform.registration("Bay Fiber Networks", tier="basic")
    body["contacts"]["primary"] = {"name": "Dana", "email": email}
    convert_url = f"{platform.gateway_url}{demo['status_url']}/convert"
    anonymous = await http.post(convert_url, json=body)
    assert anonymous.status_code == 401, "only the demo's owner may convert it"
    forged = await http.post(convert_url, json=body, headers={"Authorization": "Bearer forged"})
    assert forged.status_code == 401
    owner_token = {"Authorization": signed_in["Authorization"]}
    converted = await http.post(convert_url, json=body, headers=owner_token)
    assert converted.status_code == 202, converted.text
    # Sent again before provisioning reports it: a conflict, not a second ISP.
    repeat = await http.post(convert_url, json=body, headers=owner_token)
    assert repeat.status_code == 409, repeat.text
    accepted = converted.json()
    assert accepted["isp_id"] == demo["demo_id"]
    status = await platform.wait_for_state(
        http, platform.gateway_url + accepted["status_url"], {"active", "rolled_back"}, 60
    )
    assert status["state"] == "active", status
    final = await wait_for_demo(http, url, lambda d: d["state"] == "converted")
    assert final["url"] == opened["url"]

    paid_host = {"Host": f"{accepted['slug']}.localhost"}
    paid = await sign_in(platform, http, paid_host, email)
    kept = await http.get(f"{platform.gateway_url}/api/v1/customers", headers=paid)
    assert kept.json()["total"] == 500
    for _ in range(100):  # licensing moves the licence to the tier the ISP signed up for
        mine = await http.get(f"{platform.gateway_url}/api/v1/tenant/entitlements", headers=paid)
        if mine.json()["tier"] == "basic":
            break
        await asyncio.sleep(0.1)
    assert mine.json()["tier"] == "basic"
    # Billing opened the converted ISP's account: basic, awaiting the card it did not give.
    billing = f"{platform.gateway_url}/api/v1/isp/{accepted['isp_id']}/billing"
    owner = {"Authorization": paid["Authorization"]}
    for _ in range(100):
        account = await http.get(billing, headers=owner)
        if account.status_code == 200 and account.json()["status"] != "registered":
            break
        await asyncio.sleep(0.1)
    assert (account.json()["plan"]["tier"], account.json()["status"]) == ("basic", "incomplete")
    gone = await http.get(f"{platform.gateway_url}/api/v1/tenant", headers=host)
    assert gone.status_code == 404, "the demo's address answers no more"
    # A converted demo cannot be converted again.
    twice = await http.post(
        convert_url, json=body, headers={"Authorization": paid["Authorization"]}
    )
    assert twice.status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {"prospect": {"name": "Dana", "email": "not-an-email"}, "company": "Bay"},
        {"prospect": {"name": "Dana", "email": "d@bay.example"}, "company": "Bay",
         "scenario": "gigantic"},
        {"prospect": {"name": "Dana"}, "company": "Bay"},
        {"prospect": {"name": "Dana", "email": "d@bay.example"}, "company": "x" * 201},
        {"prospect": {"name": "<script>\x00", "email": "d@bay.example"}, "company": "Bay"},
        {"prospect": {"name": "Dana", "email": "d@bay.example"}, "company": "Bay", "tier": "x"},
    ],
)  # fmt: skip
async def test_bad_demo_requests_are_refused_and_open_nothing(platform, http, body):
    response = await http.post(f"{platform.gateway_url}/api/v1/demos", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_unknown_demos_are_404_and_malformed_ids_422(platform, http):
    unknown = await http.get(f"{platform.gateway_url}/api/v1/demos/{uuid.uuid4()}")
    assert unknown.status_code == 404
    malformed = await http.get(f"{platform.gateway_url}/api/v1/demos/not-a-uuid")
    assert malformed.status_code == 422
    convert_unknown = await http.post(
        f"{platform.gateway_url}/api/v1/demos/{uuid.uuid4()}/convert",
        json=platform.registration("Nobody Fiber"),
    )
    assert convert_unknown.status_code == 404
