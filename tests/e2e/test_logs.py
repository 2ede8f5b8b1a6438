"""The platform's logs, as an SRE reads them: one JSON object per line with its service, the
trace and span it was written in, and the ISP it concerns; and never a secret. An ISP is
onboarded, its owner signs in, makes an API key and a device with an SNMP community, and what
every process logged in the whole end-to-end run is searched for those secrets and for the
platform's own."""

import asyncio
import json
import os
import re
import uuid

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


async def test_every_log_line_is_json_and_none_holds_a_secret(platform, http, stripe_server):
    body = platform.registration("Logged Fiber", tier="premium")
    owner = f"owner-{uuid.uuid4().hex[:8]}@logged.example"
    body["contacts"]["primary"] = {"name": "Lou", "email": owner}
    accepted = await http.post(
        f"{platform.gateway_url}/api/v1/isp/register",
        json=body,
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert accepted.status_code == 202, accepted.text
    status_url = platform.gateway_url + accepted.json()["status_url"]
    assert (await platform.wait_for_state(http, status_url, {"active"}, 60))["state"] == "active"
    for _ in range(100):
        welcome = [m for m in platform.mail.messages() if m["To"] == owner]
        if welcome:
            break
        await asyncio.sleep(0.1)
    code = re.search(r"^ {4}(\S+)\s*$", welcome[0].get_content(), re.MULTILINE).group(1)
    host = {"Host": f"{accepted.json()['slug']}.localhost"}
    password = f"secret password {uuid.uuid4().hex[:10]}"
    gateway = platform.gateway_url
    chosen = await http.post(
        f"{gateway}/api/v1/auth/first-login", json={"token": code, "password": password},
        headers=host,
    )  # fmt: skip
    assert chosen.status_code == 200, chosen.text
    signed_in = (
        await http.post(
            f"{gateway}/api/v1/auth/login",
            json={"email": owner, "password": password},
            headers=host,
        )
    ).json()
    auth = {**host, "Authorization": f"Bearer {signed_in['access_token']}"}
    key = await http.post(
        f"{gateway}/api/v1/api-keys",
        json={"name": "log check", "scopes": ["customers:read"]},
        headers=auth,
    )
    assert key.status_code == 201, key.text
    community = f"community-{uuid.uuid4().hex[:12]}"
    device = await http.post(
        f"{gateway}/api/v1/devices",
        json={
            "name": "edge-01",
            "vendor": "MikroTik",
            "model": "CCR2004",
            "management_ip": f"10.{uuid.uuid4().int % 200}.0.1",
            "site": "POP 1",
            "snmp": {"version": "v2c", "community": community},
        },
        headers=auth,
    )
    assert device.status_code == 201, device.text
    bad = await http.post(f"{gateway}/api/v1/auth/login", json={"email": owner, "password": "no"},
                          headers=host)  # fmt: skip
    assert bad.status_code == 401
    await asyncio.sleep(1)  # what the services log about it reaches their files

    secrets = {
        "the owner's password": password,
        "the welcome code": code,
        "the access token": signed_in["access_token"],
        "the refresh token": signed_in["refresh_token"],
        "the API key": key.json()["key"],
        "the SNMP community": community,
        "the Stripe secret key": stripe_server.SECRET_KEY,
        "the Stripe webhook secret": platform.processes["billing"].env[
            "BILLING_STRIPE_WEBHOOK_SECRET"
        ],
        "the internal token": platform.internal_token,
        "the device sealing key": os.environ["DOTMAC_DEVICE_SECRETS_KEYS"],
    }
    lines = traced = about_isps = 0
    for name, process in platform.processes.items():
        text = process.log_path.read_text(errors="replace")
        for what, secret in secrets.items():
            assert secret not in text, f"{name}'s log holds {what}"
        for line in text.splitlines():
            if not line.strip() or line.startswith("--- devstack:"):
                continue  # devstack's own marker where a run of the process begins
            try:
                entry = json.loads(line)  # every line is one JSON object
            except ValueError:
                raise AssertionError(f"{name}: not a JSON line: {line[:300]}") from None
            assert entry["service"] and entry["level"] and "message" in entry, line
            lines += 1
            traced += "trace_id" in entry and "span_id" in entry
            about_isps += "tenant_id" in entry
    assert lines > 20
    assert traced > 0, "lines written inside a trace carry its ids"
    assert about_isps > 0, "lines written about an ISP name it"
