"""The licence and the plan (moving tier through billing), and leaving: the owner's data export
at any time, and the cancellation with its retraction within the grace period."""

from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from webapp.isp.calls import api, back_to_sign_in, refusal_page, signed_in
from webapp.rendering import field_errors, isp_slug, page, problem_detail
from webapp.sessions import check_csrf

router = APIRouter(include_in_schema=False)


# --- licence and plan -----------------------------------------------------------------------------


@router.get("/plan", response_class=HTMLResponse)
async def plan(request: Request, message: str = "") -> Response:
    signed = await signed_in(request)
    me = (await api(request, "GET", "/api/v1/auth/me", signed)).json()
    licence = (await api(request, "GET", "/api/v1/tenant/entitlements", signed)).json()
    tiers = (await api(request, "GET", "/api/v1/tiers", platform=True)).json()["tiers"]
    return page(
        request,
        "isp/plan.html",
        {"signed": signed, "me": me, "licence": licence, "tiers": tiers, "message": message},
    )


@router.post("/plan", response_class=HTMLResponse)
async def change_plan(request: Request) -> Response:
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    me = (await api(request, "GET", "/api/v1/auth/me", signed)).json()
    tier = str(form.get("tier", ""))
    answer = await api(
        request,
        "PUT",
        f"/api/v1/isp/{me['tenant_id']}/billing/tier",
        signed,
        platform=True,
        json={"tier": tier},
    )
    if answer.status_code == 200:
        message = f"Moving to {tier.title()}: your licence follows once the payment is through."
    else:
        message = problem_detail(answer)
    return RedirectResponse(f"/plan?{urlencode({'message': message})}", status_code=303)


# --- leaving: the data export and the cancellation ------------------------------------------------


@router.get("/account", response_class=HTMLResponse)
async def account(request: Request, message: str = "") -> Response:
    return await _account_page(request, message=message)


async def _account_page(
    request: Request,
    *,
    message: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    signed = await signed_in(request)
    exports = await api(request, "GET", "/api/v1/tenant/exports", signed)
    if exports.status_code == 401:
        return back_to_sign_in(request)
    if (refused := refusal_page(request, signed, exports)) is not None:
        return refused  # only the owner exports or cancels
    exports.raise_for_status()
    pending = await api(request, "GET", "/api/v1/tenant/cancellation", signed)
    return page(
        request,
        "isp/account.html",
        {
            "signed": signed,
            "exports": exports.json()["exports"],
            "pending": pending.json() if pending.status_code == 200 else None,
            "message": message[:300],
            "values": values or {},
            "errors": errors or {},
        },
        status=status,
    )


@router.post("/account/exports", response_class=HTMLResponse)
async def export_data(request: Request) -> Response:
    signed = await signed_in(request)
    check_csrf(request, dict(await request.form()))
    answer = await api(request, "POST", "/api/v1/tenant/exports", signed)
    if answer.status_code == 201:
        message = "Your data is archived: download it below."
    elif answer.status_code == 200:
        message = "The archive made in the last ten minutes is below: download that one."
    else:
        message = problem_detail(answer)
    return RedirectResponse(f"/account?{urlencode({'message': message})}", status_code=303)


@router.get("/account/exports/{export_id}")
async def download_export(request: Request, export_id: str) -> Response:
    """The archive, relayed from tenant-api (the browser holds no API token to fetch it)."""
    signed = await signed_in(request)
    answer = await api(
        request, "GET", f"/api/v1/tenant/exports/{quote(export_id, safe='')}", signed
    )
    if answer.status_code != 200:
        if (refused := refusal_page(request, signed, answer)) is not None:
            return refused
        return page(request, "public/not_found.html", {"what": "data export"}, status=404)
    return Response(
        answer.content,
        media_type="application/zip",
        headers={
            "Content-Disposition": answer.headers.get(
                "content-disposition", 'attachment; filename="data.zip"'
            ),
            "Digest": answer.headers.get("digest", ""),
        },
    )


@router.post("/account/cancellation", response_class=HTMLResponse)
async def cancel(request: Request) -> Response:
    """Cancel the ISP's service. The owner types the ISP's address name to confirm: the
    cancellation deletes everything after the grace period."""
    signed = await signed_in(request)
    form = dict(await request.form())
    check_csrf(request, form)
    values = {k: str(form.get(k, "")).strip() for k in ("reason", "confirm")}
    if values["confirm"].lower() != (isp_slug(request) or ""):
        return await _account_page(
            request,
            values=values,
            errors={"confirm": f"Type {isp_slug(request)} to confirm."},
            status=422,
        )
    document = {"reason": values["reason"]} if values["reason"] else {}
    answer = await api(request, "POST", "/api/v1/tenant/cancellation", signed, json=document)
    if answer.status_code != 202:
        errors, general = field_errors(answer.json())
        return await _account_page(
            request,
            values=values,
            errors=errors,
            message=general or "",
            status=answer.status_code if 400 <= answer.status_code < 500 else 502,
        )
    message = "Cancellation requested. Your archive is being mailed to you."
    return RedirectResponse(f"/account?{urlencode({'message': message})}", status_code=303)


@router.post("/account/cancellation/retract", response_class=HTMLResponse)
async def retract(request: Request) -> Response:
    signed = await signed_in(request)
    check_csrf(request, dict(await request.form()))
    answer = await api(request, "DELETE", "/api/v1/tenant/cancellation", signed)
    message = (
        "You are staying: nothing will be deleted."
        if answer.status_code == 204
        else (problem_detail(answer))
    )
    return RedirectResponse(f"/account?{urlencode({'message': message})}", status_code=303)
