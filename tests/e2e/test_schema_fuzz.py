"""The schema fuzz run through the real gateway, for every service's OpenAPI document that the
gateway serves: the control plane's public routes, and tenant-api's at an onboarded ISP's own
host, signed in as its owner. No generated request, valid or deliberately invalid, may get a
5xx. It runs last among the end-to-end tests: the sign-ups it makes start onboardings of their
own."""

import asyncio

import httpx
import pytest

from devstack.wiring import API_SERVICES

pytestmark = [pytest.mark.integration, pytest.mark.e2e]
EXAMPLES = 10
"""Per operation and mode: valid sign-ups and demo requests start real onboardings."""
OPERATOR = {"Authorization": "Bearer dev-only-operator-token"}  # the platform's default


async def test_no_generated_request_through_the_gateway_gets_a_server_error(platform, schema_fuzz):
    served = [s.name for s in API_SERVICES]
    documents = {}
    async with httpx.AsyncClient(timeout=10) as http:
        for service in served:
            answer = await http.get(f"{platform.gateway_url}/api/v1/{service}/openapi.json")
            assert answer.status_code == 200, service
            document = answer.json()
            # the internal routes are for the services only: the gateway does not route them
            document["paths"] = {
                path: operations
                for path, operations in document["paths"].items()
                if not path.startswith("/internal/")
            }
            documents[service] = document
        isp = await owner_of_a_new_isp(platform, http)

    def headers_for(path: str) -> dict[str, str]:
        if path.startswith("/api/v1/webhooks/operator/") and not path.endswith("/events"):
            return OPERATOR  # its event stream never ends: fuzzed without credentials
        if path.startswith(("/api/v1/billing/operator/", "/api/v1/registration/operator/")):
            return OPERATOR
        if path in documents["tenant-api"]["paths"]:
            return isp  # at the ISP's host (Host header), signed in as its owner
        return {}

    failures, sent, statuses = [], {}, {}
    for service, document in documents.items():
        run = await asyncio.to_thread(
            schema_fuzz, document, platform.gateway_url, headers_for, EXAMPLES
        )
        failures += run.failures
        sent[service] = len(run.sent)
        statuses[service] = sorted(run.statuses.items())
        operations = sum(len(methods) for methods in document["paths"].values())
        assert len(set(run.sent)) == operations, f"{service}: every operation was sent requests"
    assert not failures, "\n".join(failures)
    assert sum(sent.values()) >= 1000
    print(f"fuzz through the gateway: {sent} {statuses}")


async def owner_of_a_new_isp(platform, http: httpx.AsyncClient) -> dict[str, str]:
    """An enterprise ISP (every plugin) onboarded through the gateway, and its owner signed in:
    the headers of a request to its own host."""
    owner = await platform.signed_in_owner(
        http, "Fuzzed Fiber", tier="enterprise", password="fuzzing the whole platform"
    )
    # The ISP named every way (host, header, token), so that the X-Tenant-ID values the run
    # generates do not stop most requests at finding the ISP (a test of its own covers that).
    return {**owner.headers, "X-Tenant-ID": owner.isp_id}
