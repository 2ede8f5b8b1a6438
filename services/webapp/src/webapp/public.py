"""The platform's own site, for visitors: the tiers side by side, the sign-up form, and the
deployment of a new ISP as it happens; and a demo request."""

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dotmac_contracts.vocabulary import Region
from webapp.rendering import field_errors, isp_slug, page, webapp_of
from webapp.sessions import check_csrf

router = APIRouter(include_in_schema=False)

SIGNUP_FIELDS = (
    "company.name",
    "company.registration_number",
    "company.tax_id",
    "company.country",
    "contacts.primary.name",
    "contacts.primary.email",
    "contacts.primary.phone",
    "service_area",
    "expected_customers",
    "region",
    "tier",
    "billing_period",
    "domain",
    "payment_method",
    "data_residency",
)
"""The sign-up form's fields, named by where they go in the registration API's document, so
its per-field errors land next to the field they are about."""


async def tiers(request: Request) -> list[dict[str, Any]]:
    answer = await webapp_of(request).gateway.get("/api/v1/tiers")
    answer.raise_for_status()
    return list(answer.json()["tiers"])


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> Response:
    if isp_slug(request) is not None:  # an ISP's own host: its admin pages
        from webapp.isp import dashboard

        return await dashboard(request)
    plugins = (await webapp_of(request).gateway.get("/api/v1/licensing/plugins")).json()
    return page(
        request,
        "public/tiers.html",
        {"tiers": await tiers(request), "plugins": plugins["plugins"]},
    )


@router.get("/signup", response_class=HTMLResponse)
async def signup_form(request: Request, tier: str | None = None) -> Response:
    return page(request, "public/signup.html", await _signup_context(request, {"tier": tier}))


@router.post("/signup", response_class=HTMLResponse)
async def signup(request: Request) -> Response:
    form = dict(await request.form())
    check_csrf(request, form)
    values = {name: str(form.get(name, "")).strip() for name in SIGNUP_FIELDS}
    document: dict[str, Any] = {}
    for name, value in values.items():
        if value == "" and name in ("contacts.primary.phone", "payment_method", "data_residency"):
            continue  # optional, left empty
        target = document
        *parents, leaf = name.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    answer = await webapp_of(request).gateway.post(
        "/api/v1/isp/register",
        json=document,
        headers={"Idempotency-Key": str(form.get("attempt") or uuid.uuid4())[:64]},
    )
    if answer.status_code == 202:
        accepted = answer.json()
        return RedirectResponse(f"/signup/{accepted['isp_id']}", status_code=303)
    if answer.status_code in (400, 409, 422):
        errors, general = field_errors(answer.json())
        context = await _signup_context(request, values)
        return page(
            request,
            "public/signup.html",
            {**context, "errors": errors, "general": general},
            status=422 if answer.status_code == 400 else answer.status_code,
        )
    answer.raise_for_status()
    raise AssertionError("unreachable")


@router.get("/signup/{isp_id}", response_class=HTMLResponse)
async def deployment(request: Request, isp_id: uuid.UUID) -> Response:
    answer = await webapp_of(request).gateway.get(f"/api/v1/isp/{isp_id}/deployment")
    if answer.status_code == 404:
        return page(request, "public/not_found.html", {"what": "sign-up"}, status=404)
    answer.raise_for_status()
    return page(request, "public/deployment.html", {"status": answer.json()})


@router.get("/demo", response_class=HTMLResponse)
async def demo_form(request: Request) -> Response:
    return page(request, "public/demo.html", {"values": {}, "errors": {}})


@router.post("/demo", response_class=HTMLResponse)
async def demo(request: Request) -> Response:
    form = dict(await request.form())
    check_csrf(request, form)
    values = {
        k: str(form.get(k, "")).strip()
        for k in ("prospect.name", "prospect.email", "company", "scenario")
    }
    document = {
        "prospect": {"name": values["prospect.name"], "email": values["prospect.email"]},
        "company": values["company"],
        "scenario": values["scenario"] or "small",
    }
    answer = await webapp_of(request).gateway.post("/api/v1/demos", json=document)
    if answer.status_code in (200, 201, 202):
        return page(request, "public/demo_requested.html", {"demo": answer.json()})
    if answer.status_code in (400, 409, 422, 429):
        errors, general = field_errors(answer.json())
        return page(
            request,
            "public/demo.html",
            {"values": values, "errors": errors, "general": general},
            status=422,
        )
    answer.raise_for_status()
    raise AssertionError("unreachable")


async def _signup_context(request: Request, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "values": values,
        "errors": {},
        "general": None,
        "tiers": await tiers(request),
        "regions": [r.value for r in Region],
    }
