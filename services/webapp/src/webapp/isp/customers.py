"""Customers: the list with search and filters, adding and editing one, status changes with
their reasons, notes, and CSV import (with its dry-run preview) and export."""

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from webapp.isp import billing, payments
from webapp.isp.calls import (
    STATUSES,
    api,
    back_to_sign_in,
    refusal_page,
    signed_in,
)
from webapp.rendering import field_errors, page, problem_detail
from webapp.sessions import check_csrf

router = APIRouter(include_in_schema=False)


@router.get("/customers", response_class=HTMLResponse)
async def customers(request: Request, q: str = "", status: str = "", offset: int = 0) -> Response:
    signed = await signed_in(request)
    params: dict[str, Any] = {"limit": 50, "offset": max(offset, 0)}
    if q.strip():
        params["q"] = q.strip()[:200]
    if status in STATUSES:
        params["status"] = status
    answer = await api(request, "GET", "/api/v1/customers", signed, params=params)
    if answer.status_code == 401:
        return back_to_sign_in(request)
    if answer.status_code == 403:
        return page(
            request, "isp/gated.html", {"signed": signed, "problem": answer.json()}, status=403
        )
    listing = answer.json() if answer.status_code == 200 else {"items": [], "total": 0}
    problem = None if answer.status_code == 200 else problem_detail(answer)
    return page(
        request,
        "isp/customers.html",
        {
            "signed": signed,
            "listing": listing,
            "q": q,
            "status": status,
            "statuses": STATUSES,
            "offset": params["offset"],
            "problem": problem,
        },
    )


@router.get("/customers/new", response_class=HTMLResponse)
async def new_customer_form(request: Request) -> Response:
    signed = await signed_in(request)
    return page(request, "isp/customer_new.html", {"signed": signed, "values": {}, "errors": {}})


@router.post("/customers/new", response_class=HTMLResponse)
async def create_customer(request: Request) -> Response:
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    values = {k: str(form.get(k, "")).strip() for k in ("name", "email", "phone", "kind", "status")}
    document = {k: v for k, v in values.items() if v}
    answer = await api(request, "POST", "/api/v1/customers", signed, json=document)
    if answer.status_code in (200, 201):
        return RedirectResponse(f"/customers?{urlencode({'q': values['name']})}", status_code=303)
    if answer.status_code == 401:
        return back_to_sign_in(request)
    errors, general = field_errors(answer.json())
    return page(
        request,
        "isp/customer_new.html",
        {"signed": signed, "values": values, "errors": errors, "general": general},
        status=answer.status_code if 400 <= answer.status_code < 500 else 502,
    )


# --- customer import and export -------------------------------------------------------------------


@router.get("/customers/export")
async def export_customers(request: Request) -> Response:
    signed = await signed_in(request)
    answer = await api(request, "GET", "/api/v1/customers", signed, headers={"Accept": "text/csv"})
    if answer.status_code != 200:
        return refusal_page(request, signed, answer) or back_to_sign_in(request)
    return Response(
        answer.content,
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="customers.csv"'},
    )


@router.get("/customers/import", response_class=HTMLResponse)
async def import_form(request: Request) -> Response:
    signed = await signed_in(request)
    return page(request, "isp/import.html", {"signed": signed, "report": None})


@router.post("/customers/import", response_class=HTMLResponse)
async def upload_import(request: Request) -> Response:
    signed = await signed_in(request)
    form = await request.form()
    check_csrf(request, dict(form))
    upload = form.get("file")
    content = await upload.read() if isinstance(upload, UploadFile) else b""
    if not content:
        return page(
            request,
            "isp/import.html",
            {"signed": signed, "report": None, "general": "Choose a CSV file to import."},
            status=422,
        )
    answer = await api(
        request,
        "POST",
        "/api/v1/customer-imports",
        signed,
        content=content,
        headers={"Content-Type": "text/csv"},
        params={"filename": str(getattr(upload, "filename", "") or "import.csv")[:200]},
    )
    if answer.status_code != 201:
        return page(
            request,
            "isp/import.html",
            {"signed": signed, "report": None, "general": problem_detail(answer)},
            status=answer.status_code if 400 <= answer.status_code < 500 else 502,
        )
    return page(request, "isp/import.html", {"signed": signed, "report": answer.json()})


@router.post("/customers/import/{import_id}/commit", response_class=HTMLResponse)
async def commit_import(request: Request, import_id: str) -> Response:
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    choice = str(form.get("on_duplicate", "")) or None
    answer = await api(
        request,
        "POST",
        f"/api/v1/customer-imports/{quote(import_id, safe='')}/commit",
        signed,
        json={"on_duplicate": choice} if choice else {},
    )
    if answer.status_code == 200:
        return page(
            request, "isp/import.html", {"signed": signed, "report": answer.json(), "done": True}
        )
    report = await api(
        request, "GET", f"/api/v1/customer-imports/{quote(import_id, safe='')}", signed
    )
    return page(
        request,
        "isp/import.html",
        {
            "signed": signed,
            "report": report.json() if report.status_code == 200 else None,
            "general": problem_detail(answer),
        },
        status=answer.status_code if 400 <= answer.status_code < 500 else 502,
    )


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
async def customer(
    request: Request, customer_id: str, general: str = "", message: str = ""
) -> Response:
    signed = await signed_in(request)
    path = f"/api/v1/customers/{quote(customer_id, safe='')}"
    found = await api(request, "GET", path, signed)
    if found.status_code in (404, 422):
        return page(request, "public/not_found.html", {"what": "customer"}, status=404)
    if found.status_code == 401:
        return back_to_sign_in(request)
    found.raise_for_status()
    history = await api(request, "GET", f"{path}/status-history", signed)
    notes = await api(request, "GET", f"{path}/notes", signed)
    return page(
        request,
        "isp/customer.html",
        {
            "signed": signed,
            "customer": found.json(),
            "history": history.json()["changes"] if history.status_code == 200 else [],
            "notes": notes.json()["notes"] if notes.status_code == 200 else [],
            "statuses": STATUSES,
            "general": general[:300] or None,
            "message": message[:300] or None,
            **await billing.subscriptions_of(request, signed, customer_id),
            **await payments.account_of(request, signed, customer_id),
        },
    )


ADDRESS = ("line1", "line2", "city", "region", "postal_code", "country")


def _edit_values(customer: dict[str, Any]) -> dict[str, str]:
    """A customer as the edit form's fields."""
    values = {k: customer.get(k) or "" for k in ("name", "kind", "email", "phone")}
    values["tags"] = ", ".join(customer.get("tags") or ())
    address = customer.get("service_address") or {}
    values |= {f"service_address.{k}": address.get(k) or "" for k in ADDRESS}
    return values


def _change(values: dict[str, str]) -> dict[str, Any]:
    """The edit form as tenant-api's change: an emptied optional field is cleared (null); an
    address with no field filled in is cleared, one partly filled in is checked as a whole."""
    change: dict[str, Any] = {"name": values["name"], "kind": values["kind"]}
    change |= {k: values[k] or None for k in ("email", "phone")}
    change["tags"] = [t.strip() for t in values["tags"].split(",") if t.strip()]
    address = {k: values[f"service_address.{k}"] for k in ADDRESS}
    if any(address.values()):
        change["service_address"] = {
            k: v for k, v in address.items() if v or k not in ("line2", "region")
        }
    else:
        change["service_address"] = None
    return change


@router.get("/customers/{customer_id}/edit", response_class=HTMLResponse)
async def edit_customer_form(request: Request, customer_id: str) -> Response:
    signed = await signed_in(request)
    found = await api(request, "GET", f"/api/v1/customers/{quote(customer_id, safe='')}", signed)
    if found.status_code in (404, 422):
        return page(request, "public/not_found.html", {"what": "customer"}, status=404)
    if found.status_code == 401:
        return back_to_sign_in(request)
    found.raise_for_status()
    customer = found.json()
    return page(
        request,
        "isp/customer_edit.html",
        {"signed": signed, "customer": customer, "values": _edit_values(customer), "errors": {}},
    )


@router.post("/customers/{customer_id}/edit", response_class=HTMLResponse)
async def edit_customer(request: Request, customer_id: str) -> Response:
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    fields = ("name", "kind", "email", "phone", "tags", *(f"service_address.{k}" for k in ADDRESS))
    values = {k: str(form.get(k, "")).strip()[:500] for k in fields}
    path = f"/api/v1/customers/{quote(customer_id, safe='')}"
    answer = await api(request, "PATCH", path, signed, json=_change(values))
    if answer.status_code == 200:
        return RedirectResponse(f"/customers/{quote(customer_id, safe='')}", status_code=303)
    if answer.status_code == 401:
        return back_to_sign_in(request)
    if answer.status_code in (404, 422) and "errors" not in answer.json():
        return page(request, "public/not_found.html", {"what": "customer"}, status=404)
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    errors, general = field_errors(answer.json())
    errors = {_form_field(k): v for k, v in errors.items()}
    found = await api(request, "GET", path, signed)
    return page(
        request,
        "isp/customer_edit.html",
        {
            "signed": signed,
            "customer": found.json() if found.status_code == 200 else {"id": customer_id},
            "values": values,
            "errors": errors,
            "general": general,
        },
        status=answer.status_code if 400 <= answer.status_code < 500 else 502,
    )


def _form_field(api_field: str) -> str:
    """tenant-api's name for a field (`tags.2`) as the form's (`tags`)."""
    head, _, rest = api_field.partition(".")
    if head == "service_address" and rest:
        return f"service_address.{rest.split('.')[0]}"
    return head


@router.post("/customers/{customer_id}/status", response_class=HTMLResponse)
async def change_customer_status(request: Request, customer_id: str) -> Response:
    """A status change with its reason (tenant-api asks for one to suspend or cancel)."""
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    change = {"status": str(form.get("status", ""))}
    if reason := str(form.get("reason", "")).strip():
        change["reason"] = reason
    path = f"/api/v1/customers/{quote(customer_id, safe='')}"
    answer = await api(request, "POST", f"{path}/status", signed, json=change)
    target = f"/customers/{quote(customer_id, safe='')}"
    if answer.status_code != 200:
        errors, general = field_errors(answer.json())
        message = general or "; ".join(f"{k}: {v}" for k, v in errors.items())
        return RedirectResponse(f"{target}?{urlencode({'general': message})}", status_code=303)
    return RedirectResponse(target, status_code=303)


@router.post("/customers/{customer_id}/notes", response_class=HTMLResponse)
async def add_customer_note(request: Request, customer_id: str) -> Response:
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    path = f"/api/v1/customers/{quote(customer_id, safe='')}/notes"
    answer = await api(
        request, "POST", path, signed, json={"body": str(form.get("body", "")).strip()}
    )
    target = f"/customers/{quote(customer_id, safe='')}"
    if answer.status_code != 201:
        errors, general = field_errors(answer.json())
        message = general or "; ".join(errors.values())
        return RedirectResponse(f"{target}?{urlencode({'general': message})}", status_code=303)
    return RedirectResponse(target, status_code=303)
