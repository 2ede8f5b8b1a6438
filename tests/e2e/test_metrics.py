"""Every process of the platform answers `/metrics` on its own port (Prometheus scrapes each
process, not the gateway): requests by method, route template and status; the outbox's
backlog and publishes; the subscribers' messages (FastStream); billing's Stripe webhooks. No
label carries an id: routes are templates, and nothing is labelled by tenant."""

import asyncio
import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = [pytest.mark.integration, pytest.mark.e2e]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


async def scrape(http: httpx.AsyncClient, process) -> dict[str, list]:
    answer = await http.get(process.health_url.replace("/healthz", "/metrics"))
    assert answer.status_code == 200, process.name
    assert answer.headers["content-type"].startswith("text/plain")
    return {family.name: family.samples for family in text_string_to_metric_families(answer.text)}


async def test_every_process_is_measured_with_bounded_labels(platform, http):
    # something to measure: a sign-up through the gateway, and a refused Stripe webhook
    body = platform.registration("Measured Fiber")
    accepted = await http.post(
        f"{platform.gateway_url}/api/v1/isp/register",
        json=body,
        headers={"Idempotency-Key": "metrics-" + body["company"]["registration_number"]},
    )
    assert accepted.status_code == 202
    status = await platform.wait_for_state(
        http, platform.gateway_url + accepted.json()["status_url"], {"active"}, 60
    )
    # The gateway spreads an ISP's API over tenant-api's two processes (the fewest requests
    # in flight; a tie goes either way), so both serve some of these.
    host = urlsplit(status["instance_url"]).netloc
    for _ in range(20):
        health = await http.get(
            f"{platform.gateway_url}/api/v1/tenant/health", headers={"Host": host}
        )
        assert health.status_code == 200, health.text
    unsigned = await http.post(f"{platform.gateway_url}/api/v1/billing/stripe/webhook", json={})
    assert unsigned.status_code == 400

    found = {name: await scrape(http, process) for name, process in platform.processes.items()}

    for name, families in found.items():
        assert "dotmac_outbox_pending_events" in families, name
        assert "dotmac_outbox_oldest_pending_age_seconds" in families, name
        for samples in families.values():
            for sample in samples:
                for value in sample.labels.values():
                    assert not UUID.search(value), f"{name}: {sample.name} {sample.labels}"
    requests = {
        (s.labels["method"], s.labels["route"], s.labels["status"])
        for s in found["registration"]["dotmac_http_request_duration_seconds"]
        if s.name.endswith("_count")
    }
    assert ("POST", "/api/v1/isp/register", "202") in requests
    assert ("GET", "/api/v1/isp/{isp_id}/deployment", "200") in requests
    published = found["registration"]["dotmac_outbox_published_events"]
    assert any(s.value >= 1 for s in published if s.name.endswith("_total"))
    received = found["provisioning-worker"]["faststream_received_messages"]
    assert any(s.value >= 1 for s in received if s.name.endswith("_total")), received
    webhooks = found["billing"]["dotmac_stripe_webhooks"]
    assert any(s.labels.get("outcome") == "refused" and s.value >= 1 for s in webhooks)
    # onboardings by outcome are counted by their events, and each step is timed
    completed = [
        s
        for s in found["provisioning-worker"]["dotmac_outbox_published_events"]
        if s.labels.get("subject") == "dotmac.provisioning.deployment.completed.v1"
    ]
    assert completed and completed[0].value >= 1
    steps = {
        s.labels["step"]
        for s in found["provisioning-worker"]["dotmac_onboarding_step_duration_seconds"]
        if s.name.endswith("_count")
    }
    assert {"provisioning", "deploying", "validating"} <= steps, steps
    for replica in ("tenant-api", "tenant-api-2"):
        served = [
            s
            for s in found[replica]["dotmac_http_request_duration_seconds"]
            if s.name.endswith("_count")
            and s.labels["route"] == "/api/v1/tenant/health"
            and s.labels["status"] == "200"
        ]
        assert served and served[0].value >= 1, f"{replica} served no ISP's health check"
    pools = {s.labels["state"] for s in found["tenant-api"]["dotmac_db_pool_connections"]}
    assert pools == {"in_use", "idle"}
    # the subscribers' lag, per durable consumer (measured every 15 s)
    expected = {"billing-registration", "billing-licensing"}
    for _ in range(80):
        lag = (await scrape(http, platform.processes["billing"])).get(
            "dotmac_consumer_pending_messages", []
        )
        if {s.labels["consumer"] for s in lag} >= expected:
            break
        await asyncio.sleep(0.5)
    assert {s.labels["consumer"] for s in lag} >= expected


OBSERVABILITY = Path(__file__).resolve().parents[2] / "deploy" / "observability"


def queries() -> dict[str, str]:
    """Every PromQL expression of the dashboards and the alert rules, by where it is."""
    import json

    import yaml

    found = {}
    for board in sorted((OBSERVABILITY / "dashboards").glob("*.json")):
        for panel in json.loads(board.read_text())["panels"]:
            for target in panel["targets"]:
                found[f"{board.name}: {panel['title']}"] = target["expr"]
    rules = yaml.safe_load((OBSERVABILITY / "alerts.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            found[f"alerts.yml: {rule['alert']}"] = rule["expr"]
    return found


async def test_dashboards_and_alerts_query_only_what_the_services_export(platform, http):
    """Run after the test above: a labelled series exists once something was counted in it
    (a webhook refused, an onboarding's steps)."""
    from dotmac_contracts import EVENTS

    exported = set()
    for process in platform.processes.values():
        for samples in (await scrape(http, process)).values():
            exported |= {sample.name for sample in samples}
    subjects = {event.subject for event in EVENTS.values()}
    found = queries()
    assert len(found) >= 15
    for where, expr in found.items():
        names = set(re.findall(r"\b((?:dotmac|faststream|temporal)_[a-z_]+)\b", expr))
        assert names, f"{where}: queries none of the platform's metrics"
        missing = names - exported
        assert not missing, (
            f"{where} queries {missing}, which no service exports (of its family: "
            f"{sorted(n for n in exported if n.split('_')[0] == sorted(missing)[0].split('_')[0])})"
        )
        for subject in re.findall(r'subject=~?"([^"]+)"', expr):
            pattern = re.compile(subject)
            assert any(pattern.fullmatch(s) for s in subjects), f"{where}: no event {subject}"
