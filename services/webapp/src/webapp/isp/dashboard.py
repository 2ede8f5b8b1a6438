"""The dashboard: the ISP's business at a glance, and what its tier lacks."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from webapp.isp.calls import (
    STATUSES,
    api,
    back_to_sign_in,
    lowest_tiers,
    signed_in,
)
from webapp.rendering import page

router = APIRouter(include_in_schema=False)


# --- the dashboard and customers ------------------------------------------------------------------


async def dashboard(request: Request) -> Response:
    signed = await signed_in(request)
    counts: dict[str, int] = {}
    for status in STATUSES:
        answer = await api(
            request, "GET", "/api/v1/customers", signed, params={"status": status, "limit": 1}
        )
        if answer.status_code == 401:
            return back_to_sign_in(request)
        counts[status] = answer.json()["total"] if answer.status_code == 200 else 0
    me = (await api(request, "GET", "/api/v1/auth/me", signed)).json()
    licence = await api(request, "GET", "/api/v1/tenant/entitlements", signed)
    plugins = set(licence.json().get("plugins", [])) if licence.status_code == 200 else set()
    tickets = await api(
        request, "GET", "/api/v1/tickets", signed, params={"status": "open", "limit": 1}
    )
    mrr = None
    if "basic_reporting" in plugins:
        report = await api(request, "GET", "/api/v1/reports/mrr-by-plan", signed)
        mrr = report.json() if report.status_code == 200 else None
    network = None
    if "network_monitoring" in plugins:
        devices = await api(request, "GET", "/api/v1/devices", signed, params={"limit": 1})
        alerts = await api(
            request,
            "GET",
            f"/api/v1/network/isp/{me['tenant_id']}/alerts",
            signed,
            platform=True,
            params={"state": "open", "limit": 20},
        )
        unreachable = await api(
            request,
            "GET",
            f"/api/v1/network/isp/{me['tenant_id']}/alerts",
            signed,
            platform=True,
            params={"state": "open", "kind": "device_unreachable", "limit": 200},
        )
        total = devices.json()["total"] if devices.status_code == 200 else None
        down = (
            len({a["device_id"] for a in unreachable.json()["items"]})
            if unreachable.status_code == 200
            else 0
        )
        network = {
            "devices": total,
            "down": down,
            "up": None if total is None else max(total - down, 0),
            "alerts": alerts.json()["items"] if alerts.status_code == 200 else [],
        }
    return page(
        request,
        "isp/dashboard.html",
        {
            "signed": signed,
            "me": me,
            "counts": counts,
            "licence": licence.json() if licence.status_code == 200 else None,
            "lowest_tier": await lowest_tiers(request),
            "open_tickets": tickets.json()["total"] if tickets.status_code == 200 else None,
            "mrr": mrr,
            "network": network,
        },
    )
