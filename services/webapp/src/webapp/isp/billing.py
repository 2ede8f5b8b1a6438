"""Billing the ISP's own customers: the plan catalogue, a customer's subscriptions, invoices
(drafts, issuing, payments, credit notes, voiding), and the billing settings with bill runs
and their dry-run preview. Amounts are typed as people write them ("49.90") and sent to
tenant-api as minor units of the ISP's currency; its answers decide what is allowed."""

from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from dotmac_contracts.money import to_minor_units
from webapp.isp.calls import (
    api,
    back,
    back_to_sign_in,
    lowest_tiers,
    names_of_people,
    once,
    refusal_page,
    refusal_text,
    segment,
    signed_in,
)
from webapp.rendering import field_errors, page, problem_detail
from webapp.sessions import Signed, check_csrf

router = APIRouter(include_in_schema=False)

CYCLES = (("monthly", "Monthly"), ("quarterly", "Quarterly"), ("yearly", "Yearly"))
INVOICE_STATUSES = ("draft", "issued", "partially_paid", "overdue", "paid", "void")
PAYMENT_METHODS = (("bank_transfer", "Bank transfer"), ("cash", "Cash"), ("other", "Other"))
LINES = 3
LOGO_MAX_BYTES = 512 * 1024
"""tenant-api's own limit: a bigger file is refused there too, with its problem document."""
"""Line rows on the new-invoice form (empty ones are left out)."""


def _status(answer: httpx.Response) -> int:
    """The status a form page answers with when the API refused: its own 4xx, else 502."""
    return answer.status_code if 400 <= answer.status_code < 500 else 502


async def _listing(
    request: Request, signed: Signed, path: str, **params: Any
) -> tuple[httpx.Response, Response | None]:
    """A list from tenant-api, or the page to answer instead (sign in again, or the tier's
    upgrade path)."""
    answer = await api(request, "GET", path, signed, params=params)
    if answer.status_code == 401:
        return answer, back_to_sign_in(request)
    if (refused := refusal_page(request, signed, answer)) is not None:
        return answer, refused
    answer.raise_for_status()
    return answer, None


async def _currency(request: Request, signed: Signed) -> str:
    settings = await api(request, "GET", "/api/v1/billing/settings", signed)
    return str(settings.json().get("currency", "USD")) if settings.status_code == 200 else "USD"


# --- the plan catalogue ---------------------------------------------------------------------------


@router.get("/plans", response_class=HTMLResponse)
async def plans(request: Request, message: str = "") -> Response:
    signed = await signed_in(request)
    return await _plans_page(request, signed, message=message)


async def _plans_page(
    request: Request,
    signed: Signed,
    *,
    message: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    general: str | None = None,
    status: int = 200,
) -> Response:
    answer, instead = await _listing(request, signed, "/api/v1/plans", limit=200)
    if instead is not None:
        return instead
    return page(
        request,
        "isp/billing/plans.html",
        {
            "signed": signed,
            "plans": answer.json()["items"],
            "currency": await _currency(request, signed),
            "cycles": CYCLES,
            "values": values or {"billing_cycle": "monthly"},
            "errors": errors or {},
            "general": general,
            "message": message[:300],
        },
        status=status,
    )


@router.post("/plans", response_class=HTMLResponse)
async def create_plan(request: Request) -> Response:
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    fields = ("name", "download_mbps", "upload_mbps", "price", "setup_fee", "billing_cycle")
    values = {k: str(form.get(k, "")).strip()[:200] for k in fields}
    document: dict[str, Any] = {k: v for k, v in values.items() if v}
    document["currency"] = await _currency(request, signed)
    answer = await api(request, "POST", "/api/v1/plans", signed, json=document)
    if answer.status_code == 201:
        return back("/plans", f"{values['name']} is in the catalogue.")
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    errors, general = field_errors(answer.json())
    return await _plans_page(
        request, signed, values=values, errors=errors, general=general, status=_status(answer)
    )


@router.post("/plans/{plan_id}/retire", response_class=HTMLResponse)
async def retire_plan(request: Request, plan_id: str) -> Response:
    signed = await signed_in(request)
    check_csrf(request, dict(await request.form()))
    answer = await api(request, "POST", f"/api/v1/plans/{segment(plan_id)}/retire", signed)
    if answer.status_code != 200:
        return back("/plans", problem_detail(answer), refused=True)
    return back("/plans", "Retired: no one new can take it; those on it keep it.")


# --- a customer's subscriptions (shown on the customer's page) -----------------------------------


async def subscriptions_of(request: Request, signed: Signed, customer_id: str) -> dict[str, Any]:
    """What the customer's page shows of billing: subscriptions with their plans' names, the
    plans they can take, and the latest invoices. Empty where the tier has no billing."""
    path = f"/api/v1/customers/{segment(customer_id)}/subscriptions"
    history = await api(request, "GET", path, signed)
    if history.status_code != 200:
        return {"billing": False}
    plans = await api(request, "GET", "/api/v1/plans", signed, params={"limit": 200})
    offered = plans.json()["items"] if plans.status_code == 200 else []
    names = {p["id"]: p["name"] for p in offered}
    invoices = await api(
        request, "GET", "/api/v1/invoices", signed, params={"customer_id": customer_id, "limit": 10}
    )
    return {
        "billing": True,
        "subscriptions": history.json()["subscriptions"],
        "plan_names": names,
        "offered": [
            p
            for p in offered
            if p["status"] == "active" and p["customer_id"] in (None, customer_id)
        ],
        "invoices": invoices.json()["items"] if invoices.status_code == 200 else [],
    }


@router.post("/customers/{customer_id}/subscriptions", response_class=HTMLResponse)
async def subscribe(request: Request, customer_id: str) -> Response:
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    document = {"plan_id": str(form.get("plan_id", ""))}
    if starts_on := str(form.get("starts_on", "")).strip():
        document["starts_on"] = starts_on
    path = f"/api/v1/customers/{segment(customer_id)}/subscriptions"
    answer = await api(request, "POST", path, signed, json=document)
    return _back_to_customer(customer_id, answer, "Subscribed.")


@router.post("/subscriptions/{subscription_id}/change", response_class=HTMLResponse)
async def change_subscription(request: Request, subscription_id: str) -> Response:
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    document = {"plan_id": str(form.get("plan_id", ""))}
    if on := str(form.get("on", "")).strip():
        document["on"] = on
    path = f"/api/v1/subscriptions/{segment(subscription_id)}/change"
    answer = await api(request, "POST", path, signed, json=document)
    customer_id = str(form.get("customer_id", ""))
    return _back_to_customer(customer_id, answer, "Plan changed: the next invoice prorates it.")


@router.post("/subscriptions/{subscription_id}/cancel", response_class=HTMLResponse)
async def cancel_subscription(request: Request, subscription_id: str) -> Response:
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    document = {k: v for k in ("on", "reason") if (v := str(form.get(k, "")).strip()[:500])}
    path = f"/api/v1/subscriptions/{segment(subscription_id)}/cancel"
    answer = await api(request, "POST", path, signed, json=document)
    customer_id = str(form.get("customer_id", ""))
    return _back_to_customer(customer_id, answer, "Cancelled: billing stops on that day.")


def _back_to_customer(customer_id: str, answer: httpx.Response, done: str) -> Response:
    target = f"/customers/{segment(customer_id)}"
    if answer.status_code in (200, 201):
        return back(target, done)
    return back(target, refusal_text(answer), refused=True)


# --- invoices -------------------------------------------------------------------------------------


@router.get("/invoices", response_class=HTMLResponse)
async def invoices(
    request: Request,
    status: str = "",
    customer_id: str = "",
    bill_run_id: str = "",
    offset: int = 0,
) -> Response:
    signed = await signed_in(request)
    params: dict[str, Any] = {"limit": 50, "offset": max(offset, 0)}
    if bill_run_id:
        params["bill_run_id"] = bill_run_id[:36]
    if status in INVOICE_STATUSES:
        params["status"] = status
    if customer_id:
        params["customer_id"] = customer_id[:36]
    answer = await api(request, "GET", "/api/v1/invoices", signed, params=params)
    if answer.status_code == 401:
        return back_to_sign_in(request)
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    listing = answer.json() if answer.status_code == 200 else {"items": [], "total": 0}
    return page(
        request,
        "isp/billing/invoices.html",
        {
            "signed": signed,
            "listing": listing,
            "statuses": INVOICE_STATUSES,
            "status": status,
            "customer_id": params.get("customer_id", ""),
            "offset": params["offset"],
            "general": None if answer.status_code == 200 else refusal_text(answer),
        },
    )


@router.get("/invoices/export")
async def export_invoices(request: Request, status: str = "") -> Response:
    signed = await signed_in(request)
    params = {"status": status} if status in INVOICE_STATUSES else {}
    answer = await api(
        request, "GET", "/api/v1/invoices", signed, params=params, headers={"Accept": "text/csv"}
    )
    if answer.status_code != 200:
        return refusal_page(request, signed, answer) or back_to_sign_in(request)
    return Response(
        answer.content,
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="invoices.csv"'},
    )


@router.get("/invoices/new", response_class=HTMLResponse)
async def new_invoice_form(request: Request, customer_id: str = "") -> Response:
    signed = await signed_in(request)
    return await _new_invoice_page(request, signed, {"customer_id": customer_id[:36]}, {})


async def _new_invoice_page(
    request: Request,
    signed: Signed,
    values: dict[str, str],
    errors: dict[str, str],
    general: str | None = None,
    status: int = 200,
) -> Response:
    customer = None
    if values.get("customer_id"):
        found = await api(
            request, "GET", f"/api/v1/customers/{segment(values['customer_id'])}", signed
        )
        customer = found.json() if found.status_code == 200 else None
    return page(
        request,
        "isp/billing/invoice_new.html",
        {
            "signed": signed,
            "customer": customer,
            "currency": await _currency(request, signed),
            "lines": range(LINES),
            "values": values,
            "errors": errors,
            "general": general,
        },
        status=status,
    )


@router.post("/invoices/new", response_class=HTMLResponse)
async def create_invoice(request: Request) -> Response:
    """A one-off invoice (installation, equipment...): a draft, or issued at once."""
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    names = ["customer_id", "memo", "issue"] + [
        f"lines.{i}.{k}" for i in range(LINES) for k in ("description", "quantity", "unit_amount")
    ]
    values = {k: str(form.get(k, "")).strip()[:500] for k in names}
    currency = await _currency(request, signed)
    lines, errors = [], {}
    for i in range(LINES):
        line = {k: values[f"lines.{i}.{k}"] for k in ("description", "quantity", "unit_amount")}
        if not any(line.values()):
            continue
        try:
            amount = to_minor_units(line["unit_amount"], currency)
        except ValueError as wrong:
            errors[f"lines.{i}.unit_amount"] = (
                f"Enter a price in {currency}, such as 49.90 ({wrong})."
            )
            continue
        lines.append(
            {"description": line["description"], "quantity": line["quantity"] or "1",
             "unit_amount": amount}
        )  # fmt: skip
    if errors:
        return await _new_invoice_page(request, signed, values, errors, status=422)
    if not lines:
        return await _new_invoice_page(
            request, signed, values, {"lines.0.description": "Add at least one line."}, status=422
        )
    document: dict[str, Any] = {
        "customer_id": values["customer_id"],
        "lines": lines,
        "issue": values["issue"] == "yes",
    }
    if values["memo"]:
        document["memo"] = values["memo"]
    answer = await api(request, "POST", "/api/v1/invoices", signed, json=document)
    if answer.status_code == 201:
        return RedirectResponse(f"/invoices/{answer.json()['id']}", status_code=303)
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    errors, general = field_errors(answer.json())
    if "customer_id" in errors:
        general, errors = f"That customer cannot be invoiced: {errors.pop('customer_id')}", errors
    return await _new_invoice_page(request, signed, values, errors, general, _status(answer))


@router.get("/invoices/{invoice_id}", response_class=HTMLResponse)
async def invoice(
    request: Request, invoice_id: str, message: str = "", general: str = ""
) -> Response:
    signed = await signed_in(request)
    answer = await api(request, "GET", f"/api/v1/invoices/{segment(invoice_id)}", signed)
    if answer.status_code in (404, 422):
        return page(request, "public/not_found.html", {"what": "invoice"}, status=404)
    if answer.status_code == 401:
        return back_to_sign_in(request)
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    answer.raise_for_status()
    found = answer.json()
    customer = await api(request, "GET", f"/api/v1/customers/{found['customer_id']}", signed)
    return page(
        request,
        "isp/billing/invoice.html",
        {
            "signed": signed,
            "invoice": found,
            "customer": customer.json() if customer.status_code == 200 else None,
            "methods": PAYMENT_METHODS,
            "message": message[:300],
            "general": general[:300] or None,
        },
    )


@router.get("/invoices/{invoice_id}/pdf")
async def invoice_pdf(request: Request, invoice_id: str) -> Response:
    """The invoice's PDF, relayed from tenant-api."""
    signed = await signed_in(request)
    answer = await api(request, "GET", f"/api/v1/invoices/{segment(invoice_id)}/pdf", signed)
    if answer.status_code != 200:
        if (refused := refusal_page(request, signed, answer)) is not None:
            return refused
        return page(request, "public/not_found.html", {"what": "invoice"}, status=404)
    return Response(
        answer.content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": answer.headers.get(
                "content-disposition", 'inline; filename="invoice.pdf"'
            )
        },
    )


@router.post("/invoices/{invoice_id}/{action}", response_class=HTMLResponse)
async def act_on_invoice(request: Request, invoice_id: str, action: str) -> Response:
    """Issue a draft, record a payment, credit it (in whole), void it, or mail it again."""
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    target = f"/invoices/{segment(invoice_id)}"
    path = f"/api/v1{target}"
    if action == "issue":
        answer = await api(request, "POST", f"{path}/issue", signed)
        done = "Issued: it has its number and its due date."
    elif action == "void":
        reason = str(form.get("reason", "")).strip()[:500]
        answer = await api(request, "POST", f"{path}/void", signed, json={"reason": reason})
        done = "Voided."
    elif action == "credit-note":
        reason = str(form.get("reason", "")).strip()[:500]
        answer = await api(request, "POST", f"{path}/credit-notes", signed, json={"reason": reason})
        done = "Credited in full: the credit note is in the invoice list."
    elif action == "payments":
        currency = str(form.get("currency", "USD"))[:3]
        try:
            amount = to_minor_units(str(form.get("amount", "")), currency)
        except ValueError:
            return back(target, f"Enter the amount in {currency}, such as 49.90.", refused=True)
        document = {
            "amount": amount,
            "method": str(form.get("method", "")),
            **{k: v for k in ("received_on", "reference") if (v := str(form.get(k, "")).strip())},
        }
        answer = await api(request, "POST", f"{path}/payments", signed, json=document)
        done = "Payment recorded."
    elif action == "send":  # the PDF mailed to the customer again
        answer = await api(request, "POST", f"{path}/send", signed, headers=once(form))
        done = "Sent to the customer, with the PDF attached."
    else:
        return page(request, "public/not_found.html", {"what": "page"}, status=404)
    if answer.status_code in (200, 201, 202):
        return back(target, done)
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    return back(target, refusal_text(answer), refused=True)


# --- settings and bill runs -----------------------------------------------------------------------

SETTINGS = ("currency", "invoice_prefix", "payment_terms_days", "billing_day", "tax_rate_id")


@router.get("/billing", response_class=HTMLResponse)
async def billing(request: Request, message: str = "", general: str = "") -> Response:
    signed = await signed_in(request)
    return await _billing_page(request, signed, message=message, general=general or None)


async def _billing_page(
    request: Request,
    signed: Signed,
    *,
    message: str = "",
    general: str | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    run: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    settings, instead = await _listing(request, signed, "/api/v1/billing/settings")
    if instead is not None:
        return instead
    rates = await api(request, "GET", "/api/v1/billing/tax-rates", signed)
    runs = await api(request, "GET", "/api/v1/bill-runs", signed, params={"limit": 12})
    stripe = await api(request, "GET", "/api/v1/billing/settings/stripe", signed)
    branding = await api(request, "GET", "/api/v1/billing/branding", signed)
    current = settings.json()
    return page(
        request,
        "isp/billing/settings.html",
        {
            "signed": signed,
            "settings": current,
            "values": values
            or {k: "" if current[k] is None else str(current[k]) for k in SETTINGS}
            | {"automatic_runs": current["automatic_runs"]},
            "errors": errors or {},
            "tax_rates": rates.json()["tax_rates"] if rates.status_code == 200 else [],
            # bill runs come with automated_billing (Basic and up): the upgrade path otherwise
            "runs": runs.json()["items"] if runs.status_code == 200 else None,
            "runs_refused": None if runs.status_code == 200 else runs.json(),
            "run": run,
            # card payments through the ISP's own Stripe account come with automated_billing
            "stripe": stripe.json() if stripe.status_code == 200 else None,
            "branding": branding.json() if branding.status_code == 200 else None,
            "lowest_tier": await lowest_tiers(request),
            "names": await names_of_people(request, signed),
            "message": message[:300],
            "general": general,
        },
        status=status,
    )


@router.post("/billing/settings", response_class=HTMLResponse)
async def save_settings(request: Request) -> Response:
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    values: dict[str, Any] = {k: str(form.get(k, "")).strip()[:50] for k in SETTINGS}
    values["automatic_runs"] = form.get("automatic_runs") == "yes"
    document = {**values, "tax_rate_id": values["tax_rate_id"] or None}
    answer = await api(request, "PUT", "/api/v1/billing/settings", signed, json=document)
    if answer.status_code == 200:
        return back("/billing", "Billing settings saved.")
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    errors, general = field_errors(answer.json())
    return await _billing_page(
        request, signed, values=values, errors=errors, general=general, status=_status(answer)
    )


@router.post("/billing/tax-rates", response_class=HTMLResponse)
async def add_tax_rate(request: Request) -> Response:
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    try:  # a percentage as people write it ("20", "7.25") as basis points
        basis_points = to_minor_units(str(form.get("percent", "")), "USD")
    except ValueError:
        return back("/billing", "Enter the rate as a percentage, such as 20 or 7.25.", refused=True)
    document = {
        "name": str(form.get("name", "")).strip()[:100],
        "basis_points": basis_points,
        "inclusive": form.get("inclusive") == "yes",
    }
    answer = await api(request, "POST", "/api/v1/billing/tax-rates", signed, json=document)
    if answer.status_code == 201:
        return back("/billing", f"Tax rate {document['name']} added.")
    return back("/billing", refusal_text(answer), refused=True)


@router.post("/billing/runs", response_class=HTMLResponse)
async def run_bills(request: Request) -> Response:
    """Bill a period: first as a dry run (what would be invoiced, and how that differs from
    the period's last run), then for real."""
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    document = {
        "period": str(form.get("period", "")).strip()[:7],
        "dry_run": form.get("dry_run") == "yes",
        "issue": form.get("issue", "yes") == "yes",
    }
    answer = await api(request, "POST", "/api/v1/bill-runs", signed, json=document)
    if answer.status_code in (200, 201):
        result = answer.json()
        if document["dry_run"]:
            return await _billing_page(request, signed, run=result)
        return back(
            "/billing",
            f"Billed {document['period']}: {result['invoices_created']} invoices made.",
        )
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    return await _billing_page(
        request, signed, general=refusal_text(answer), status=_status(answer)
    )


# --- statements, mailing invoices, and how the ISP appears on them --------------------------------


@router.get("/customers/{customer_id}/statement", response_class=HTMLResponse)
async def statement(
    request: Request, customer_id: str, date_from: str = "", date_to: str = "", format: str = ""
) -> Response:
    """The customer's statement of account: a page, or its PDF or CSV relayed."""
    signed = await signed_in(request)
    params = {k: v[:10] for k, v in (("from", date_from), ("to", date_to)) if v}
    if format in ("pdf", "csv"):
        params["format"] = format
    answer = await api(
        request, "GET", f"/api/v1/customers/{segment(customer_id)}/statement", signed, params=params
    )
    if answer.status_code in (404,):
        return page(request, "public/not_found.html", {"what": "customer"}, status=404)
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    if answer.status_code == 422:
        return back(
            f"/customers/{segment(customer_id)}/statement", refusal_text(answer), refused=True
        )
    answer.raise_for_status()
    if format in ("pdf", "csv"):
        return Response(
            answer.content,
            media_type=answer.headers.get("content-type", "application/octet-stream"),
            headers={"Content-Disposition": answer.headers.get("content-disposition", "")},
        )
    return page(
        request,
        "isp/billing/statement.html",
        {
            "signed": signed,
            "statement": answer.json(),
            "date_from": params.get("from", ""),
            "date_to": params.get("to", ""),
            "general": request.query_params.get("general"),
        },
    )


@router.post("/billing/issuer", response_class=HTMLResponse)
async def save_issuer(request: Request) -> Response:
    """The ISP's legal name, address and tax number on its invoices."""
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    document = {
        k: (str(form.get(k, "")).strip()[:600] or None)
        for k in ("legal_name", "address", "tax_number")
    }
    answer = await api(request, "PUT", "/api/v1/billing/issuer", signed, json=document)
    if answer.status_code == 200:
        return back("/billing", "Your details on invoices are saved.")
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    return back("/billing", refusal_text(answer), refused=True)


@router.post("/billing/branding", response_class=HTMLResponse)
async def save_branding(request: Request) -> Response:
    """The name, accent colour, footer and logo on the ISP's documents (white_label)."""
    signed = await signed_in(request)
    form = await request.form()
    check_csrf(request, dict(form))
    document = {
        k: (str(form.get(k, "")).strip()[:600] or None)
        for k in ("display_name", "accent_colour", "footer")
    }
    answer = await api(request, "PUT", "/api/v1/billing/branding", signed, json=document)
    if answer.status_code == 200 and isinstance(logo := form.get("logo"), UploadFile):
        content = await logo.read(LOGO_MAX_BYTES + 1)
        if content:
            answer = await api(
                request,
                "PUT",
                "/api/v1/billing/branding/logo",
                signed,
                content=content,
                headers={"Content-Type": logo.content_type or "application/octet-stream"},
            )
    if answer.status_code == 200:
        return back("/billing", "Your branding is saved: new documents carry it.")
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    return back("/billing", refusal_text(answer), refused=True)
