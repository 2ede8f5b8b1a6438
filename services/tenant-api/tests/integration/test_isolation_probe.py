"""The isolation probe: every signed-in route of tenant-api, found by walking the app's routes,
is called as tenant A with tenant B's token and with tenant B's ids. Each must answer as if B's
rows did not exist, and nothing of B's may change. A new route is probed without anyone
remembering to; a route with an id the probe cannot fill fails here until the probe learns it."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tenant_api.bootstrap import bootstrap
from tenant_api.config import Settings
from tenant_api.entrypoints.api import create_app
from tenant_api.identity.auth.roles import KEY_SCOPES, Role
from tenant_api.identity.auth.service import create_user
from tenant_api.models import TENANT_DATA_TABLES, Entitlement

pytestmark = pytest.mark.integration
TOKEN = "probe-token"
PASSWORD = "probe password long"


@pytest.fixture(scope="module", params=["shared", "silo"])
async def probe(start_tenant_api, request, all_plugins):
    """Tenants A and B, either both in the shared tables or each in a silo of its own: the same
    routes and the same code serve both placements, and the probe holds for both."""
    async with start_tenant_api(internal_token=TOKEN, smtp_port=9) as (app, client):
        tenants = {}
        for name in ("a", "b"):
            tenant_id, slug = uuid.uuid4(), f"probe-{name}-{uuid.uuid4().hex[:6]}"
            created = await client.put(
                f"/internal/v1/tenants/{tenant_id}",
                json={
                    "slug": slug,
                    "name": name,
                    "tier": "enterprise",
                    "host": f"{slug}.localhost",
                    "isolation": request.param,
                },
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
            assert created.json()["isolation"] == request.param
            async with app.runtime.db.unit_of_work(tenant=tenant_id) as session:
                owner = await create_user(
                    session,
                    tenant_id=tenant_id,
                    email=f"owner@{slug}.example",
                    name=name,
                    role=Role.OWNER,
                    password=PASSWORD,
                    now=datetime.now(UTC),
                )
                await grant_licence(session, tenant_id, all_plugins)
            await app.entitlements.load(app.runtime.db, str(tenant_id))
            host = {"Host": f"{slug}.localhost"}
            pair = (
                await client.post(
                    "/api/v1/auth/login",
                    json={"email": f"owner@{slug}.example", "password": PASSWORD},
                    headers=host,
                )
            ).json()
            signed_in = {**host, "Authorization": f"Bearer {pair['access_token']}"}
            customer = await client.post(
                "/api/v1/customers", json={"name": f"Customer of {name}"}, headers=signed_in
            )
            rows = await seed(client, signed_in, customer.json()["id"], tenant_id)
            key = await client.post(
                "/api/v1/api-keys",
                json={"name": "probe", "scopes": sorted(KEY_SCOPES)},
                headers=signed_in,
            )
            assert customer.status_code == key.status_code == 201, (customer.text, key.text)
            tenants[name] = {
                "id": tenant_id,
                "host": host,
                "token": pair["access_token"],
                "key": key.json()["key"],
                "ids": {
                    "user_id": str(owner.id),
                    "customer_id": customer.json()["id"],
                    "api_key_id": key.json()["id"],
                    **rows,
                },
            }
        yield app, client, tenants


async def seed(client, signed_in, customer_id, tenant_id) -> dict[str, str]:
    """One of every other kind of row a tenant has, by id (the probe's path parameters)."""

    async def created(path: str, body: dict) -> str:
        response = await client.post(path, json=body, headers=signed_in)
        assert response.status_code == 201, f"{path}: {response.text}"
        return response.json()["id"]

    plan_id = await created(
        "/api/v1/plans",
        {"name": "Fiber", "download_mbps": 100, "upload_mbps": 100, "price": "40"},
    )
    subscription_id = await created(
        f"/api/v1/customers/{customer_id}/subscriptions", {"plan_id": plan_id}
    )
    ticket_id = await created(
        "/api/v1/tickets", {"subject": "Slow evenings", "customer_id": customer_id}
    )
    device_id = await created(
        "/api/v1/devices",
        {
            "name": "core-rtr-01",
            "vendor": "MikroTik",
            "model": "CCR2004",
            "management_ip": "10.20.0.1",
            "site": "POP",
            "snmp": {"version": "v2c", "community": "probe"},
        },
    )
    rule_id = await created(
        "/api/v1/automations",
        {
            "name": "Tag business customers",
            "trigger": "customer.created",
            "conditions": [{"fact": "customer.kind", "value": "business"}],
            "actions": [{"type": "add_tag", "tag": "b2b"}],
        },
    )
    invoice_id = await created(
        "/api/v1/invoices",
        {"customer_id": customer_id, "lines": [{"description": "Install", "unit_amount": 100}]},
    )
    bill_run_id = await created("/api/v1/bill-runs", {"period": "2026-10", "dry_run": True})
    payment_id = await created(
        f"/api/v1/customers/{customer_id}/payments", {"amount": 100, "method": "cash"}
    )
    hold_id = await created(
        f"/api/v1/customers/{customer_id}/holds",
        {"starts_on": "2026-10-01", "ends_on": "2026-10-05"},
    )
    export = await client.post(
        f"/internal/v1/tenants/{tenant_id}/exports", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert export.status_code == 201, export.text
    upload = await client.post(
        "/api/v1/customer-imports",
        content=b"Name,Email\nAnn Lee,ann@example.net\n",
        headers={**signed_in, "Content-Type": "text/csv"},
    )
    assert upload.status_code == 201, upload.text
    return {
        "import_id": upload.json()["id"],
        "plan_id": plan_id,
        "subscription_id": subscription_id,
        "ticket_id": ticket_id,
        "device_id": device_id,
        "rule_id": rule_id,
        "invoice_id": invoice_id,
        "bill_run_id": bill_run_id,
        "payment_id": payment_id,
        "hold_id": hold_id,
        "export_id": export.json()["export_id"],
    }


def signed_in_routes(app) -> list[tuple[str, str]]:
    """Every operation of the OpenAPI document that takes the bearer access token (so every
    route that depends on the signed-in user, whoever wrote it)."""
    routes = [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method, operation in operations.items()
        if any("HTTPBearer" in requirement for requirement in operation.get("security", []))
    ]
    assert routes, "the probe found no signed-in routes: it would prove nothing"
    return routes


async def grant_licence(session, tenant_id, plugins) -> None:
    """What licensing's LicenceIssued would have recorded: everything, at the full API rate."""
    now = datetime.now(UTC)
    session.add(
        Entitlement(
            tenant_id=tenant_id,
            licence_id=uuid.uuid4(),
            tier="enterprise",
            plugins=list(plugins),
            customer_cap=None,
            api_rate_per_minute=1200,
            issued_at=now,
            expires_at=now + timedelta(days=365),
            status="active",
        )
    )


async def snapshot(app, tenant_id) -> list:
    """Every row of tenant B's that a route could change: every tenant-data table."""
    async with app.runtime.db.unit_of_work(tenant=tenant_id) as session:
        rows = []
        for table in TENANT_DATA_TABLES:
            found = await session.execute(select(table).order_by(*table.primary_key.columns))
            rows += [(table.name, dict(row._mapping)) for row in found]
        assert {name for name, _ in rows} >= {"customers", "users", "api_keys"}
        return rows


async def test_every_signed_in_route_treats_another_tenants_ids_and_tokens_as_unknown(
    probe, example_body
):
    app, client, tenants = probe
    a, b = tenants["a"], tenants["b"]
    before = await snapshot(app, b["id"])
    checked = []
    for method, path in signed_in_routes(app):
        params = re.findall(r"{(\w+)}", path)
        unknown = [p for p in params if p not in b["ids"]]
        assert not unknown, f"{method} {path}: teach the probe tenant B's {unknown}"
        with_b_ids = path.format(**b["ids"])
        body = example_body(app, method, path)
        sent_as = body.pop("headers", {})

        # B's token or API key at A's host, or naming A in X-Tenant-ID: the request names two
        # ISPs, refused (400) before anything is looked up.
        for headers in (a["host"], {"X-Tenant-ID": str(a["id"])}):
            for credential in (b["token"], b["key"]):
                as_b = await client.request(
                    method,
                    with_b_ids,
                    **body,
                    headers={**sent_as, **headers, "Authorization": f"Bearer {credential}"},
                )
                assert as_b.status_code == 400, f"{method} {path} as B: {as_b.text}"

        # A's own token, B's ids: B's rows do not exist for A.
        if params:
            as_a = await client.request(
                method,
                with_b_ids,
                **body,
                headers={**sent_as, **a["host"], "Authorization": f"Bearer {a['token']}"},
            )
            assert as_a.status_code == 404, f"{method} {path} with B's ids: {as_a.status_code}"
        checked.append(f"{method} {path}")
    assert await snapshot(app, b["id"]) == before, "nothing of tenant B changed"
    assert {
        "PATCH /api/v1/users/{user_id}",
        "GET /api/v1/customers/{customer_id}",
        "DELETE /api/v1/api-keys/{api_key_id}",
        "PATCH /api/v1/customers/{customer_id}",
        "POST /api/v1/customers/{customer_id}/status",
        "POST /api/v1/customers/{customer_id}/notes",
        "PATCH /api/v1/plans/{plan_id}",
        "POST /api/v1/subscriptions/{subscription_id}/change",
        "PATCH /api/v1/tickets/{ticket_id}",
        "POST /api/v1/tickets/{ticket_id}/comments",
        "PATCH /api/v1/devices/{device_id}",
        "DELETE /api/v1/devices/{device_id}",
        "PUT /api/v1/customer-imports/{import_id}/mapping",
        "POST /api/v1/customer-imports/{import_id}/commit",
        "GET /api/v1/auth/caller",
        "POST /api/v1/invoices/{invoice_id}/payments",
        "POST /api/v1/invoices/{invoice_id}/credit-notes",
        "GET /api/v1/bill-runs/{bill_run_id}",
        "DELETE /api/v1/billing-holds/{hold_id}",
        "PUT /api/v1/customers/{customer_id}/billing",
    } <= set(checked)


def tenant_routes(app) -> list[tuple[str, str]]:
    """Every operation that finds its ISP (by host, X-Tenant-ID or credential), signed in or
    not, whoever wrote it: those whose OpenAPI document takes the X-Tenant-ID header, which
    only the dependency that finds the ISP declares."""
    routes = [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method, operation in operations.items()
        if any(p["name"] == "X-Tenant-ID" for p in operation.get("parameters", []))
    ]
    assert routes, "no route finds its ISP: the check would prove nothing"
    return routes


async def test_every_route_refuses_a_request_that_names_two_isps(probe, example_body):
    """The README's rule, on every route that finds its ISP, public ones included: a host, an
    X-Tenant-ID header and a credential that do not agree are a 400, before anything is read
    or changed."""
    app, client, tenants = probe
    a, b = tenants["a"], tenants["b"]
    before = await snapshot(app, a["id"])
    checked = []
    for method, path in tenant_routes(app):
        with_a_ids = path.format(
            **{p: a["ids"].get(p, uuid.uuid4()) for p in re.findall(r"{(\w+)}", path)}
        )
        body = example_body(app, method, path)
        sent_as = body.pop("headers", {})
        for headers in (
            {**a["host"], "Authorization": f"Bearer {b['token']}"},
            {**a["host"], "Authorization": f"Bearer {b['key']}"},
            {**a["host"], "X-Tenant-ID": str(b["id"])},
            {"X-Tenant-ID": str(a["id"]), "Authorization": f"Bearer {b['token']}"},
        ):
            answer = await client.request(
                method, with_a_ids, **body, headers={**sent_as, **headers}
            )
            assert answer.status_code == 400, f"{method} {path} {list(headers)}: {answer.text}"
        checked.append(f"{method} {path}")
    assert await snapshot(app, a["id"]) == before, "nothing of tenant A changed"
    assert {
        "GET /api/v1/tenant",
        "GET /api/v1/tenant/entitlements",
        "GET /api/v1/tenant/health",
        "POST /api/v1/auth/login",
        "GET /api/v1/auth/caller",
        "GET /api/v1/customers",
    } <= set(checked)


def test_a_new_signed_in_route_is_probed_without_anyone_listing_it():
    from fastapi import APIRouter

    from tenant_api.deps import CurrentUser

    app = create_app(bootstrap(Settings()))
    gadgets = APIRouter()

    @gadgets.get("/api/v1/gadgets/{gadget_id}")
    async def gadget(gadget_id: str, user: CurrentUser) -> dict:
        return {}

    app.include_router(gadgets)
    assert ("GET", "/api/v1/gadgets/{gadget_id}") in signed_in_routes(app)


def writes_with_fields(app) -> list[tuple[str, str, list[str]]]:
    """Every PATCH and PUT of the OpenAPI document with a JSON body, and its body's fields."""
    document = app.openapi()
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method not in ("patch", "put"):
                continue
            content = operation.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            if schema is None:
                continue
            if "$ref" in schema:
                schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
            found.append((method.upper(), path, sorted(schema.get("properties", {}))))
    assert found, "no PATCH or PUT found: the check would prove nothing"
    return found


async def test_null_in_any_field_of_any_patch_or_put_is_a_clean_answer(probe, example_body):
    """`null` for each field of each PATCH and PUT, one at a time, on tenant A's own rows: the
    field is cleared (2xx) or the request refused (422), never a 5xx."""
    app, client, tenants = probe
    a = tenants["a"]
    owner = {**a["host"], "Authorization": f"Bearer {a['token']}"}
    internal = {"Authorization": f"Bearer {TOKEN}"}
    tried = []
    for method, path, fields in writes_with_fields(app):
        url = path.format(**{**a["ids"], "tenant_id": a["id"]})
        headers = internal if path.startswith("/internal/") else owner
        valid = example_body(app, method, path).get("json") or {}
        for field in fields:
            answer = await client.request(method, url, json={**valid, field: None}, headers=headers)
            assert answer.status_code < 500, f"{method} {path} {field}=null: {answer.text}"
            assert answer.status_code in (200, 201, 204, 409, 422), (
                f"{method} {path} {field}=null: {answer.status_code} {answer.text}"
            )
            tried.append(f"{method} {path} {field}")
    assert "PATCH /api/v1/customers/{customer_id} tags" in tried
