"""Payments to customers' accounts (cash, bank transfer, or a card through the ISP's own Stripe
account), allocated by tenant-api to the oldest open invoices with the rest kept as credit;
their refunds; and dunning: its settings, a pass run now (or previewed), what it did, and a
customer's "never suspend"."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from dotmac_contracts.money import to_major_units, to_minor_units
from webapp.isp.calls import (
    api,
    back,
    back_to_sign_in,
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

METHODS = (("bank_transfer", "Bank transfer"), ("cash", "Cash"), ("card", "Card (Stripe)"),
           ("other", "Other"))  # fmt: skip


async def account_of(request: Request, signed: Signed, customer_id: str) -> dict[str, Any]:
    """What the customer's page shows of payments: the account's balance and credit, the
    latest payments, and whether dunning may suspend them. Empty without billing."""
    base = f"/api/v1/customers/{segment(customer_id)}"
    account = await api(request, "GET", f"{base}/account", signed)
    if account.status_code != 200:
        return {}
    payments = await api(
        request, "GET", "/api/v1/payments", signed, params={"customer_id": customer_id, "limit": 10}
    )
    dunning = await api(request, "GET", f"{base}/dunning", signed)
    return {
        "account": account.json(),
        "payments": payments.json()["items"] if payments.status_code == 200 else [],
        "methods": METHODS,
        "dunning": dunning.json() if dunning.status_code == 200 else None,
    }


@router.post("/customers/{customer_id}/payments", response_class=HTMLResponse)
async def receive_payment(request: Request, customer_id: str) -> Response:
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    target = f"/customers/{segment(customer_id)}"
    currency = str(form.get("currency", "USD"))[:3]
    try:
        amount = to_minor_units(str(form.get("amount", "")), currency)
    except ValueError:
        return back(target, f"Enter the amount in {currency}, such as 49.90.", refused=True)
    document: dict[str, Any] = {"amount": amount, "method": str(form.get("method", ""))[:20]}
    for key in ("payment_method", "received_on", "reference"):
        if value := str(form.get(key, "")).strip()[:200]:
            document[key] = value
    if document["method"] != "card":
        document.pop("payment_method", None)
    answer = await api(
        request,
        "POST",
        f"/api/v1/customers/{segment(customer_id)}/payments",
        signed,
        json=document,
        headers=once(form),
    )
    if answer.status_code == 201:
        payment = answer.json()
        return back(f"/payments/{payment['id']}", "Payment received.")
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    return back(target, refusal_text(answer), refused=True)


@router.post("/customers/{customer_id}/dunning", response_class=HTMLResponse)
async def never_suspend(request: Request, customer_id: str) -> Response:
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    choice = form.get("never_suspend") == "yes"
    answer = await api(
        request,
        "PUT",
        f"/api/v1/customers/{segment(customer_id)}/dunning",
        signed,
        json={"never_suspend": choice},
    )
    target = f"/customers/{segment(customer_id)}"
    if answer.status_code != 200:
        return back(target, refusal_text(answer), refused=True)
    done = "Dunning will never suspend them." if choice else "Dunning may suspend them again."
    return back(target, done)


@router.get("/payments", response_class=HTMLResponse)
async def payments(request: Request, method: str = "", offset: int = 0) -> Response:
    signed = await signed_in(request)
    params: dict[str, Any] = {"limit": 50, "offset": max(offset, 0)}
    if method in dict(METHODS):
        params["method"] = method
    answer = await api(request, "GET", "/api/v1/payments", signed, params=params)
    if answer.status_code == 401:
        return back_to_sign_in(request)
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    answer.raise_for_status()
    return page(
        request,
        "isp/billing/payments.html",
        {
            "signed": signed,
            "listing": answer.json(),
            "methods": METHODS,
            "method": method,
            "offset": params["offset"],
        },
    )


@router.get("/payments/export")
async def export_payments(request: Request) -> Response:
    signed = await signed_in(request)
    answer = await api(request, "GET", "/api/v1/payments", signed, headers={"Accept": "text/csv"})
    if answer.status_code != 200:
        return refusal_page(request, signed, answer) or back_to_sign_in(request)
    return Response(
        answer.content,
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="payments.csv"'},
    )


@router.get("/payments/{payment_id}", response_class=HTMLResponse)
async def payment(
    request: Request, payment_id: str, message: str = "", general: str = ""
) -> Response:
    signed = await signed_in(request)
    answer = await api(request, "GET", f"/api/v1/payments/{segment(payment_id)}", signed)
    if answer.status_code in (404, 422):
        return page(request, "public/not_found.html", {"what": "payment"}, status=404)
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    answer.raise_for_status()
    found = answer.json()
    customer = await api(request, "GET", f"/api/v1/customers/{found['customer_id']}", signed)
    return page(
        request,
        "isp/billing/payment.html",
        {
            "signed": signed,
            "payment": found,
            "customer": customer.json() if customer.status_code == 200 else None,
            "names": await names_of_people(request, signed),
            "message": message[:300],
            "general": general[:300] or None,
        },
    )


@router.post("/payments/{payment_id}/refunds", response_class=HTMLResponse)
async def refund(request: Request, payment_id: str) -> Response:
    """Give back some or all that is left of a payment (a card's through Stripe)."""
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    target = f"/payments/{segment(payment_id)}"
    currency = str(form.get("currency", "USD"))[:3]
    document: dict[str, Any] = {}
    if written := str(form.get("amount", "")).strip():
        try:
            document["amount"] = to_minor_units(written, currency)
        except ValueError:
            return back(target, f"Enter the amount in {currency}, such as 10.00.", refused=True)
    if reason := str(form.get("reason", "")).strip()[:500]:
        document["reason"] = reason
    answer = await api(
        request,
        "POST",
        f"/api/v1/payments/{segment(payment_id)}/refunds",
        signed,
        json=document,
        headers=once(form),
    )
    if answer.status_code == 201:
        return back(target, "Refunded.")
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    return back(target, refusal_text(answer), refused=True)


# --- dunning --------------------------------------------------------------------------------------


@router.get("/billing/dunning", response_class=HTMLResponse)
async def dunning(request: Request, message: str = "", general: str = "") -> Response:
    signed = await signed_in(request)
    return await _dunning_page(request, signed, message=message, general=general or None)


async def _dunning_page(
    request: Request,
    signed: Signed,
    *,
    message: str = "",
    general: str | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    result: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    settings = await api(request, "GET", "/api/v1/billing/dunning/settings", signed)
    if settings.status_code == 401:
        return back_to_sign_in(request)
    if (refused := refusal_page(request, signed, settings)) is not None:
        return refused
    settings.raise_for_status()
    current = settings.json()
    billing = await api(request, "GET", "/api/v1/billing/settings", signed)
    currency = billing.json().get("currency", "USD") if billing.status_code == 200 else "USD"
    actions = await api(
        request, "GET", "/api/v1/billing/dunning/actions", signed, params={"limit": 20}
    )
    fee = current["late_fee"]
    return page(
        request,
        "isp/billing/dunning.html",
        {
            "signed": signed,
            "settings": current,
            "currency": currency,
            "values": values
            or {
                "enabled": current["enabled"],
                "reminder_days": ", ".join(str(d) for d in current["reminder_days"]),
                "fee_kind": fee["kind"],
                "fee_amount": to_major_units(fee["amount"], currency).replace(",", "")
                if fee["kind"] == "fixed"
                else "",
                "fee_percent": f"{fee['basis_points'] / 100:g}" if fee["kind"] == "percent" else "",
                "grace_days": str(current["grace_days"]),
                "suspend_after_days": str(current["suspend_after_days"] or ""),
            },
            "errors": errors or {},
            "actions": actions.json()["items"] if actions.status_code == 200 else [],
            "result": result,
            "message": message[:300],
            "general": general,
        },
        status=status,
    )


@router.post("/billing/dunning", response_class=HTMLResponse)
async def save_dunning(request: Request) -> Response:
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    names = ("reminder_days", "fee_kind", "fee_amount", "fee_percent", "grace_days",
             "suspend_after_days", "currency")  # fmt: skip
    values: dict[str, Any] = {k: str(form.get(k, "")).strip()[:100] for k in names}
    values["enabled"] = form.get("enabled") == "yes"
    errors: dict[str, str] = {}
    try:
        days = [int(d) for d in values["reminder_days"].replace(";", ",").split(",") if d.strip()]
    except ValueError:
        errors["reminder_days"] = "Days from the due date, separated by commas, such as -3, 1, 7."
    fee: dict[str, Any] = {"kind": values["fee_kind"] or "none"}
    try:
        if fee["kind"] == "fixed":
            fee["amount"] = to_minor_units(values["fee_amount"], values["currency"] or "USD")
        elif fee["kind"] == "percent":  # a percentage with two decimals is basis points
            fee["basis_points"] = to_minor_units(values["fee_percent"], "USD")
    except ValueError:
        errors["fee_amount" if fee["kind"] == "fixed" else "fee_percent"] = (
            "Enter a number, such as 5 or 2.50."
        )
    if errors:
        return await _dunning_page(request, signed, values=values, errors=errors, status=422)
    document = {
        "enabled": values["enabled"],
        "reminder_days": days,
        "late_fee": fee,
        "grace_days": values["grace_days"] or "0",
        "suspend_after_days": values["suspend_after_days"] or None,
    }
    answer = await api(request, "PUT", "/api/v1/billing/dunning/settings", signed, json=document)
    if answer.status_code == 200:
        return back("/billing/dunning", "Dunning settings saved.")
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    found, general = field_errors(answer.json())
    fields = {"late_fee": "fee_kind", "late_fee.amount": "fee_amount",
              "late_fee.basis_points": "fee_percent"}  # fmt: skip
    errors = {fields.get(k, k.split(".")[0]): v for k, v in found.items()}
    return await _dunning_page(
        request,
        signed,
        values=values,
        errors=errors,
        general=general,
        status=answer.status_code if 400 <= answer.status_code < 500 else 502,
    )


@router.post("/billing/dunning/runs", response_class=HTMLResponse)
async def run_dunning(request: Request) -> Response:
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    dry_run = form.get("dry_run") == "yes"
    answer = await api(
        request, "POST", "/api/v1/billing/dunning/runs", signed, json={"dry_run": dry_run}
    )
    if answer.status_code in (200, 201):
        return await _dunning_page(request, signed, result=answer.json())
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    return await _dunning_page(request, signed, general=problem_detail(answer), status=409)


# --- the ISP's Stripe account, for card payments -------------------------------------------------


@router.post("/billing/stripe", response_class=HTMLResponse)
async def stripe_key(request: Request) -> Response:
    """Set (or, with `remove`, forget) the ISP's Stripe secret key. It is sealed by tenant-api
    and never shown again: the page shows its last four characters."""
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    if form.get("remove") == "yes":
        answer = await api(request, "DELETE", "/api/v1/billing/settings/stripe", signed)
        done = "The Stripe key is removed: card payments stop until a new one is set."
    else:
        key = str(form.get("secret_key", "")).strip()[:300]
        answer = await api(
            request, "PUT", "/api/v1/billing/settings/stripe", signed, json={"secret_key": key}
        )
        done = "Stripe key saved: card payments go to that account."
    if answer.status_code in (200, 204):
        return back("/billing", done)
    if (refused := refusal_page(request, signed, answer)) is not None:
        return refused
    return back("/billing", refusal_text(answer), refused=True)
