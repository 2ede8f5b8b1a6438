"""The role matrix, found rather than listed: every route of tenant-api that requires a
permission is called by a person of each role. The roles the permission leaves out get 403
naming it; the others get past the check (whatever the route then answers). A new route is
covered without anyone adding it here."""

import re
import uuid

import pytest
from fastapi.routing import APIRoute

from tenant_api.identity.auth.roles import PERMISSIONS, Permission, Role

pytestmark = pytest.mark.integration


def required_permission(route: APIRoute) -> Permission | None:
    """The permission a route's dependencies check (`require`, `require_person`), if any."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        permission = getattr(dependency.call, "permission", None)
        if permission is not None:
            return Permission(permission)
        pending.extend(dependency.dependencies)
    return None


def api_routes(routes) -> list[APIRoute]:
    """Every APIRoute, including those of included routers (which FastAPI keeps wrapped)."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found += api_routes(route.original_router.routes)
    return found


def gated_routes(app) -> list[tuple[str, str, Permission]]:
    routes = [
        (method, route.path, permission)
        for route in api_routes(app.routes)
        if (permission := required_permission(route))
        for method in sorted(route.methods)
    ]
    assert len(routes) > 30, f"the matrix found only {len(routes)} routes"
    return routes


async def test_every_gated_route_refuses_exactly_the_roles_its_permission_leaves_out(
    business_isp, example_body
):
    isp = await business_isp()
    checked = set()
    for method, path, permission in gated_routes(isp.app):
        url = re.sub(r"{\w+}", lambda _: str(uuid.uuid4()), path)
        body = example_body(isp.app, method, path)
        sent_as = body.pop("headers", {})
        for role in Role:
            response = await isp.client.request(
                method, url, **body, headers={**sent_as, **isp.as_(role)}
            )
            refused = response.status_code == 403 and response.json().get("permission")
            if permission in PERMISSIONS[role]:
                assert not refused, f"{role} {method} {path}: {response.text}"
                assert response.status_code < 500, f"{role} {method} {path}: {response.text}"
            else:
                assert refused == permission.value, f"{role} {method} {path}: {response.text}"
        checked.add((method, path))
    assert {
        ("POST", "/api/v1/plans"),
        ("PATCH", "/api/v1/tickets/{ticket_id}"),
        ("DELETE", "/api/v1/devices/{device_id}"),
        ("POST", "/api/v1/customer-imports/{import_id}/commit"),
        ("GET", "/api/v1/reports/mrr-by-plan"),
        ("POST", "/api/v1/demo-data"),
    } <= checked
