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


@pytest.fixture
def acme() -> dict[str, Any]:
    """The registration body of the issue, as an ISP admin would send it."""
    return copy.deepcopy(ACME)


@pytest.fixture
def body() -> dict[str, Any]:
    """The issue's registration with a fresh company name, registration number and domain, so
    tests sharing one database never clash by accident."""
    tag = uuid.uuid4().hex[:10]
    fresh = copy.deepcopy(ACME)
    fresh["company"]["name"] = f"Acme Fiber {tag}"
    fresh["company"]["registration_number"] = tag
    fresh["domain"] = f"acme-{tag}.example"
    return fresh
