"""An ISP on AWS leaves: its owner cancels from its own admin, downloads the export the
platform emails them, and when the grace period ends (3 s here, 30 days by default) its
instance, DNS, backups and tenant are gone, and its host answers no more."""

import asyncio
import io
import json
import re
import uuid
import zipfile

import boto3
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.e2e]
PASSWORD = "leaving the platform now"


async def mails_to(platform, to: str, count: int) -> list:
    for _ in range(200):
        found = [m for m in platform.mail.messages() if m["To"] == to]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"fewer than {count} mails to {to}")


async def test_a_cancelled_isp_gets_its_data_and_is_destroyed_after_the_grace_period(
    platform, http
):
    owner = f"owner-{uuid.uuid4().hex[:8]}@leaving.example"
    body = platform.registration("Leaving Fiber", region=platform.aws_region)
    body["contacts"]["primary"] = {"name": "Lee", "email": owner}
    accepted = (await http.post(f"{platform.gateway_url}/api/v1/isp/register", json=body)).json()
    status_url = platform.gateway_url + accepted["status_url"]
    assert (await platform.wait_for_state(http, status_url, {"active"}))["state"] == "active"
    host = {"Host": f"{accepted['slug']}.localhost"}

    [welcome] = await mails_to(platform, owner, 1)
    code = re.search(r"^ {4}(\S+)\s*$", welcome.get_content(), re.MULTILINE).group(1)
    await http.post(
        f"{platform.gateway_url}/api/v1/auth/first-login",
        json={"token": code, "password": PASSWORD},
        headers=host,
    )
    tokens = await http.post(
        f"{platform.gateway_url}/api/v1/auth/login",
        json={"email": owner, "password": PASSWORD},
        headers=host,
    )
    signed_in = {**host, "Authorization": f"Bearer {tokens.json()['access_token']}"}
    added = await http.post(
        f"{platform.gateway_url}/api/v1/customers",
        json={"name": "Last Customer"},
        headers=signed_in,
    )
    assert added.status_code == 201

    cancelled = await http.post(
        f"{platform.gateway_url}/api/v1/tenant/cancellation",
        json={"reason": "Sold the business"},
        headers=signed_in,
    )
    assert cancelled.status_code == 202, cancelled.text

    # The export arrives by email, and the owner downloads it through the gateway.
    _, farewell = await mails_to(platform, owner, 2)
    link = re.search(r"(http://\S+/api/v1/tenant/exports/\S+)", farewell.get_content()).group(1)
    download = await http.get(
        f"{platform.gateway_url}/api/v1/tenant/exports/{link.rsplit('/', 1)[1]}",
        headers=signed_in,
    )
    assert download.status_code == 200, download.text
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    customers = [json.loads(line) for line in archive.read("customers.jsonl").splitlines()]
    assert [c["name"] for c in customers] == ["Last Customer"]

    gone = await platform.wait_for_state(http, status_url, {"deleted"}, timeout=60)
    assert gone["state"] == "deleted"
    env = platform.aws.client_environment()
    ec2 = boto3.client(
        "ec2",
        region_name=platform.aws_region,
        endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    alive = ec2.describe_instances(
        Filters=[
            {"Name": "tag:ISP", "Values": [accepted["isp_id"]]},
            {"Name": "instance-state-name", "Values": ["pending", "running"]},
        ]
    )
    assert [i for r in alive["Reservations"] for i in r["Instances"]] == []
    tenant = await http.get(f"{platform.gateway_url}/api/v1/tenant", headers=host)
    assert tenant.status_code == 404, "its host answers no more"
    # Its names are free again: the same company and domain can sign up anew.
    again = await http.post(f"{platform.gateway_url}/api/v1/isp/register", json=body)
    assert again.status_code == 202, again.text
    assert again.json()["isp_id"] != accepted["isp_id"]
    # ...and the licence of the ISP that left is revoked.
    licensing = platform.processes["licensing"].health_url.removesuffix("/healthz")
    for _ in range(100):
        licence = (
            await http.get(f"{licensing}/api/v1/licensing/isps/{accepted['isp_id']}/licence")
        ).json()
        if licence["status"] == "revoked":
            break
        await asyncio.sleep(0.1)
    assert (licence["status"], licence["status_reason"]) == ("revoked", "offboarded")


async def test_an_isp_billing_cancels_for_non_payment_is_offboarded(platform, http):
    """Dunning's last day: billing cancels the unpaid ISP (`BillingStatusChanged`, published
    here as billing would), and provisioning offboards it as if its owner had cancelled."""
    from datetime import UTC, datetime

    from dotmac_contracts import encode_event
    from dotmac_contracts.events import BillingStatusChanged

    body = platform.registration("Unpaid Fiber")
    accepted = (await http.post(f"{platform.gateway_url}/api/v1/isp/register", json=body)).json()
    status_url = platform.gateway_url + accepted["status_url"]
    assert (await platform.wait_for_state(http, status_url, {"active"}))["state"] == "active"

    cancelled = BillingStatusChanged(
        isp_id=uuid.UUID(accepted["isp_id"]),
        previous="suspended",
        status="cancelled",
        reason="unpaid for 21 days: cancelled",
        changed_at=datetime.now(UTC),
    )
    envelope = encode_event(
        cancelled, event_id=str(uuid.uuid4()), source="billing", time=datetime.now(UTC)
    )
    nc = await platform.nats()
    await nc.jetstream().publish(cancelled.subject, envelope.data, headers=envelope.headers())
    await nc.close()

    gone = await platform.wait_for_state(http, status_url, {"deleted"}, timeout=60)
    assert gone["state"] == "deleted"
