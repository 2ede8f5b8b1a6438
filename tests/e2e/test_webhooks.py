"""Webhooks through the real gateway, on the whole platform: an ISP onboarded and signed in
subscribes a receiver to its customers; a customer created at its host reaches the receiver,
signed; the operator's endpoint hears of the onboarding; and the ISP's event stream flows
through Caddy as it happens."""

import asyncio
import json

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

pytestmark = [pytest.mark.integration, pytest.mark.e2e]
OPERATOR = {"Authorization": "Bearer dev-only-operator-token"}  # the platform's default


async def test_an_isp_s_customer_reaches_its_webhook_and_its_event_stream(platform, inbox):
    async with httpx.AsyncClient(timeout=30) as http:
        operator_box = await http.post(
            f"{platform.gateway_url}/api/v1/webhooks/operator/endpoints",
            json={"url": inbox.url, "event_types": ["isp.registered", "isp.active"]},
            headers=OPERATOR,
        )
        assert operator_box.status_code == 201, operator_box.text
        owner = await platform.signed_in_owner(
            http, "Hooked Fiber", tier="premium", password="webhooks all the way"
        )
        base = f"{platform.gateway_url}/api/v1/webhooks/isp/{owner.isp_id}"
        auth = {"Authorization": f"Bearer {owner.access_token}"}
        made = await http.post(
            f"{base}/endpoints",
            json={"url": inbox.url, "event_types": ["customer.created"]},
            headers=auth,
        )
        assert made.status_code == 201, made.text
        secret = made.json()["secret"]

        async with http.stream("GET", f"{base}/events", headers=auth) as stream:
            assert stream.status_code == 200
            lines = stream.aiter_lines()
            assert (await anext(lines)).startswith(": connected")
            created = await http.post(
                f"{platform.gateway_url}/api/v1/customers",
                json={"name": "Grace Hopper"},
                headers={**owner.host, **auth},
            )
            assert created.status_code == 201, created.text
            streamed: dict[str, str] = {}
            async with asyncio.timeout(30):
                async for line in lines:
                    if line.startswith(("event: ", "data: ", "id: ")):
                        key, _, value = line.partition(": ")
                        streamed[key] = value
                    if "data" in streamed:
                        break

        payload, (body, headers) = await inbox.typed("customer.created")
        assert Webhook(secret).verify(body, headers)["data"]["name"] == "Grace Hopper"
        assert payload["data"]["customer_id"] == created.json()["id"]
        assert streamed["event"] == "customer.created"
        assert json.loads(streamed["data"])["data"]["customer_id"] == created.json()["id"]

        registered, _ = await inbox.typed("isp.registered")
        active, _ = await inbox.typed("isp.active")
        assert registered["data"]["isp_id"] == active["data"]["isp_id"] == owner.isp_id
        assert "payment_method" not in registered["data"]

        log = await http.get(f"{base}/endpoints/{made.json()['id']}/attempts", headers=auth)
        assert log.status_code == 200
        assert log.json()["attempts"][0]["outcome"] == "succeeded"
        await http.delete(
            f"{platform.gateway_url}/api/v1/webhooks/operator/endpoints/{operator_box.json()['id']}",
            headers=OPERATOR,
        )
