"""Every service's OpenAPI document, read for its PATCH and PUT operations: each service that
has one must have a test that sends null in each of their fields, found from its document the
same way (issue: a null in a PATCH was a 500). A service that gains its first PATCH or PUT
fails here until it gets one."""

import importlib

import pytest

SERVICES = ("registration", "licensing", "provisioning", "billing", "network", "tenant_api")
NULL_CHECKED = {
    "tenant_api": "services/tenant-api/tests/integration/test_isolation_probe.py"
    "::test_null_in_any_field_of_any_patch_or_put_is_a_clean_answer",
    "billing": "services/billing/tests/integration/test_isp_billing.py"
    "::test_null_in_any_field_of_any_put_or_patch_is_a_422",
    "network": "services/network/tests/integration/test_monitoring_api.py"
    "::test_null_in_any_field_of_any_patch_or_put_is_a_clean_answer",
}


def writes(module: str) -> list[str]:
    composed = importlib.import_module(f"{module}.bootstrap").bootstrap()
    app = importlib.import_module(f"{module}.entrypoints.api").create_app(composed)
    return [
        f"{method.upper()} {path}"
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if method in ("patch", "put")
    ]


@pytest.mark.parametrize("module", SERVICES)
def test_a_service_with_patch_or_put_has_its_null_walk(module):
    found = writes(module)
    if found:
        assert module in NULL_CHECKED, f"{module} has {found}: add a null walk over its document"
        path, _, test = NULL_CHECKED[module].partition("::")
        from pathlib import Path

        source = (Path(__file__).resolve().parents[2] / path).read_text()
        assert f"def {test}(" in source, NULL_CHECKED[module]
    else:
        assert module not in NULL_CHECKED, f"{module} has no PATCH or PUT any more"
