"""Reports on real Postgres, checked against a history written for the purpose: customers by
status month by month, churn, MRR by plan, ticket resolution times; CSV; gated by plugin."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from tenant_api.models import CustomerStatusChange, Ticket
from tenant_api.reports.service import month_starts

pytestmark = pytest.mark.integration
BASIC = ("customer_management", "user_auth", "basic_billing", "basic_reporting")


async def post(isp, path, body, expect=201):
    response = await isp.client.post(path, json=body, headers=isp.owner)
    assert response.status_code == expect, response.text
    return response.json()


def mid(month: date) -> datetime:
    return datetime(month.year, month.month, 15, 12, tzinfo=UTC)


async def backdate(isp, customer_id, *moments) -> None:
    """Give the customer's status changes, oldest first, these times."""
    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        rows = (
            (
                await session.execute(
                    CustomerStatusChange.__table__.select()
                    .where(CustomerStatusChange.customer_id == customer_id)
                    .order_by(CustomerStatusChange.changed_at)
                )
            )
            .mappings()
            .all()
        )
        assert len(rows) == len(moments)
        for row, at in zip(rows, moments, strict=True):
            await session.execute(
                update(CustomerStatusChange)
                .where(CustomerStatusChange.id == row["id"])
                .values(changed_at=at)
            )


async def test_customers_by_status_and_churn_follow_the_history_month_by_month(business_isp):
    isp = await business_isp()
    now = datetime.now(UTC)
    m0, m1, m2 = month_starts(now.date(), 3)
    this_month = datetime(m2.year, m2.month, 1, tzinfo=UTC)
    earlier_this_month = this_month + (now - this_month) / 2

    async def customer(name, *moves):
        c = await post(isp, "/api/v1/customers", {"name": name})
        for status, reason in moves:
            await post(
                isp,
                f"/api/v1/customers/{c['id']}/status",
                {"status": status, "reason": reason},
                200,
            )
        return c["id"]

    stays = await customer("Stays", ("active", None))
    leaves = await customer("Leaves", ("active", None), ("cancelled", "Moved"))
    late = await customer("Late", ("active", None))
    lead = await customer("Lead only")
    await backdate(isp, stays, mid(m0), mid(m0) + timedelta(days=1))
    await backdate(isp, leaves, mid(m0), mid(m0) + timedelta(days=1), mid(m1))
    await backdate(isp, late, mid(m1), earlier_this_month)
    await backdate(isp, lead, earlier_this_month)

    report = (
        await isp.client.get(
            "/api/v1/reports/customers-by-status", params={"months": 3}, headers=isp.owner
        )
    ).json()["months"]
    assert [
        (r["month"], r["lead"], r["active"], r["suspended"], r["cancelled"]) for r in report
    ] == [
        (m0.isoformat(), 0, 2, 0, 0),
        (m1.isoformat(), 1, 1, 0, 1),
        (m2.isoformat(), 1, 2, 0, 1),
    ]

    months = (
        await isp.client.get("/api/v1/reports/churn", params={"months": 3}, headers=isp.owner)
    ).json()["months"]
    assert [
        (r["active_at_start"], r["cancelled"], r["churn_rate"], r["new_active"]) for r in months
    ] == [
        (0, 0, None, 2),
        (2, 1, 0.5, 0),
        (1, 0, 0.0, 1),
    ]

    exported = await isp.client.get(
        "/api/v1/reports/churn", params={"months": 3}, headers={**isp.owner, "Accept": "text/csv"}
    )
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["churn_rate"] for r in rows] == ["", "0.5", "0.0"]


async def test_mrr_counts_running_subscriptions_at_their_monthly_price(business_isp):
    isp = await business_isp()
    monthly = await post(
        isp,
        "/api/v1/plans",
        {"name": "Monthly", "download_mbps": 100, "upload_mbps": 10, "price": "40"},
    )
    quarterly = await post(
        isp,
        "/api/v1/plans",
        {
            "name": "Quarterly",
            "download_mbps": 100,
            "upload_mbps": 10,
            "price": "100",
            "billing_cycle": "quarterly",
        },
    )
    start = (date.today() - timedelta(days=30)).isoformat()
    for name, plan in (("A", monthly), ("B", monthly), ("C", quarterly), ("D", monthly)):
        c = await post(isp, "/api/v1/customers", {"name": name, "status": "active"})
        sub = await post(
            isp,
            f"/api/v1/customers/{c['id']}/subscriptions",
            {"plan_id": plan["id"], "starts_on": start},
        )
        if name == "D":
            await post(isp, f"/api/v1/subscriptions/{sub['id']}/cancel", {}, expect=200)

    report = (await isp.client.get("/api/v1/reports/mrr-by-plan", headers=isp.owner)).json()
    assert [(p["plan"], p["subscribers"], p["mrr"]) for p in report["plans"]] == [
        ("Monthly", 2, "80.00"),
        ("Quarterly", 1, "33.33"),
    ]
    assert (report["total_mrr"], report["subscribers"]) == ("113.33", 3)
    before = (
        await isp.client.get(
            "/api/v1/reports/mrr-by-plan",
            params={"on": (date.today() - timedelta(days=31)).isoformat()},
            headers=isp.owner,
        )
    ).json()
    assert (before["plans"], before["total_mrr"]) == ([], "0.00")


async def test_ticket_resolution_times_and_sla_by_priority(business_isp):
    isp = await business_isp()
    opened = datetime.now(UTC) - timedelta(days=3)
    taken = {"urgent": [2, 6], "normal": [10, 20, 30]}
    for priority, hours in taken.items():
        for h in hours:
            t = await post(
                isp, "/api/v1/tickets", {"subject": f"{priority} {h}", "priority": priority}
            )
            async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
                await session.execute(
                    update(Ticket)
                    .where(Ticket.id == t["id"])
                    .values(
                        created_at=opened,
                        sla_due_at=opened + timedelta(hours=4 if priority == "urgent" else 24),
                        resolved_at=opened + timedelta(hours=h),
                        status="resolved",
                    )
                )
    await post(isp, "/api/v1/tickets", {"subject": "still open", "priority": "high"})
    report = (await isp.client.get("/api/v1/reports/ticket-resolution", headers=isp.owner)).json()
    by = {p["priority"]: p for p in report["priorities"]}
    assert (by["urgent"]["resolved"], by["urgent"]["median_hours"]) == (2, 4.0)
    assert (by["urgent"]["within_sla"], by["urgent"]["within_sla_rate"]) == (1, 0.5)
    assert (by["normal"]["resolved"], by["normal"]["median_hours"], by["normal"]["p90_hours"]) == (
        3,
        20.0,
        28.0,
    )
    assert by["normal"]["within_sla"] == 2
    assert by["high"]["resolved"] == 0 and by["high"]["median_hours"] is None
    bad = await isp.client.get(
        "/api/v1/reports/ticket-resolution",
        params={"since": "2026-02-01", "until": "2026-01-01"},
        headers=isp.owner,
    )
    assert bad.status_code == 422


async def test_reports_need_their_plugin(business_isp):
    basic = await business_isp(tier="basic", plugins=BASIC)
    assert (
        await basic.client.get("/api/v1/reports/mrr-by-plan", headers=basic.owner)
    ).status_code == 200
    for advanced in ("/api/v1/reports/churn", "/api/v1/reports/ticket-resolution"):
        refused = await basic.client.get(advanced, headers=basic.owner)
        assert refused.status_code == 403 and refused.json()["plugin"] == "advanced_reporting"
    free = await business_isp(tier="free", plugins=("customer_management", "user_auth"))
    refused = await free.client.get("/api/v1/reports/customers-by-status", headers=free.owner)
    assert refused.status_code == 403 and refused.json()["plugin"] == "basic_reporting"
    for months in (0, 61, "x"):
        bad = await basic.client.get(
            "/api/v1/reports/customers-by-status", params={"months": months}, headers=basic.owner
        )
        assert bad.status_code == 422
