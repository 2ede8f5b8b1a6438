import copy
import uuid
from typing import Any

import pytest

ACME: dict[str, Any] = {
    "company": {
        "name": "Acme Fiber",
        "registration_number": "12345",
        "tax_id": "US-99",
        "country": "US",
    },
    "contacts": {
        "primary": {"name": "Ann", "email": "ann@acme.example", "phone": "+15550100"},
        "technical": {"name": "Tom", "email": "tom@acme.example"},
    },
    "service_area": "Springfield county",
    "expected_customers": 800,
    "region": "us-east-1",
    "tier": "basic",
    "billing_period": "monthly",
    "domain": "acme.example",
}


def unique_registration(**overrides: Any) -> dict[str, Any]:
    """ACME with a fresh company name, registration number and domain."""
    tag = uuid.uuid4().hex[:10]
    body = copy.deepcopy(ACME)
    body["company"]["name"] = f"Acme Fiber {tag}"
    body["company"]["registration_number"] = tag
    body["domain"] = f"acme-{tag}.example"
    body.update(overrides)
    return body


@pytest.fixture
def acme() -> dict[str, Any]:
    """The registration body of the issue, as an ISP admin would send it."""
    return copy.deepcopy(ACME)
