"""The platform's logs, as an SRE reads them: one JSON object per line with its service, the
trace and span it was written in, and the ISP it concerns; and never a secret. An ISP is
onboarded, its owner signs in, makes an API key and a device with an SNMP community, and what
every process logged in the whole end-to-end run is searched for those secrets and for the
platform's own."""

import asyncio
import json
import os
import uuid

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


async def test_every_log_line_is_json_and_none_holds_a_secret(platform, http, stripe_server):
    password = f"secret password {uuid.uuid4().hex[:10]}"
    owner = await platform.signed_in_owner(http, "Logged Fiber", tier="premium", password=password)
    gateway, host, auth = platform.gateway_url, owner.host, owner.headers
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
    bad = await http.post(
        f"{gateway}/api/v1/auth/login", json={"email": owner.email, "password": "no"}, headers=host
    )
    assert bad.status_code == 401
    await asyncio.sleep(1)  # what the services log about it reaches their files

    secrets = {
        "the owner's password": password,
        "the welcome code": owner.welcome_code,
        "the access token": owner.access_token,
        "the refresh token": owner.refresh_token,
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
