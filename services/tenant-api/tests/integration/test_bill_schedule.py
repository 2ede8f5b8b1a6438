"""Automatic bill runs: a period is billed the day after it ends by the scheduler every replica
runs; the timer is a row, so a scheduler that was away catches up, and billing twice is
impossible."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from tenant_api.billing.runs.scheduler import BillScheduler
from tenant_api.models import BillRun, BillSchedule, CustomerStatusChange, Invoice

pytestmark = pytest.mark.integration


def first_of_next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


async def settle_back(isp, period: str, due_on: date) -> None:
    """As if automatic runs were asked for long ago: the schedule waits for `period`."""
    async with isp.app.runtime.db.unit_of_work() as session:
        await session.execute(
            update(BillSchedule)
            .where(BillSchedule.tenant_id == isp.id)
            .values(period=period, due_on=due_on)
        )


async def settings(isp) -> dict:
    return (await isp.client.get("/api/v1/billing/settings", headers=isp.owner)).json()


async def test_due_periods_are_billed_once_by_the_schedule_and_it_catches_up(business_isp):
    isp = await business_isp()
    plan = await isp.client.post(
        "/api/v1/plans",
        json={"name": "Fiber", "download_mbps": 100, "upload_mbps": 100, "price": "30.00"},
        headers=isp.owner,
    )
    ann = await isp.client.post(
        "/api/v1/customers", json={"name": "Ann", "status": "active"}, headers=isp.owner
    )
    await isp.client.post(
        f"/api/v1/customers/{ann.json()['id']}/subscriptions",
        json={"plan_id": plan.json()["id"], "starts_on": "2026-09-01"},
        headers=isp.owner,
    )
    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        await session.execute(
            update(CustomerStatusChange).values(changed_at=datetime(2026, 8, 1, tzinfo=UTC))
        )
    put = await isp.client.put(
        "/api/v1/billing/settings",
        json={"currency": "USD", "automatic_runs": True},
        headers=isp.owner,
    )
    assert put.status_code == 200, put.text
    today = datetime.now(UTC).date()
    assert put.json()["automatic_runs"] is True
    assert put.json()["next_automatic_run_on"] == first_of_next_month(today).isoformat()

    await settle_back(isp, "2026-10", date(2026, 11, 1))
    scheduler = BillScheduler(isp.app.entitlements, isp.app.bus)
    while await scheduler.tick(isp.app.runtime):
        pass
    await scheduler.tick(isp.app.runtime)  # nothing more is due
    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        invoices = (
            (await session.execute(select(Invoice).order_by(Invoice.period_start))).scalars().all()
        )
        runs = (await session.execute(select(BillRun))).scalars().all()
    periods = [i.period_start for i in invoices]
    assert periods[:2] == [date(2026, 10, 1), date(2026, 11, 1)]
    assert len(periods) == len(set(periods)), "a period billed twice"
    assert all(i.total == 3000 and i.status == "issued" for i in invoices)
    assert {r.created_by for r in runs} == {"schedule"}
    now = await settings(isp)
    assert now["next_automatic_run_on"] == first_of_next_month(today).isoformat()
    assert now["last_automatic_run_error"] is None

    # The timer survives the scheduler: put it back a period, as if the process died after
    # the run committed and before the schedule moved on. The period runs again, invoicing
    # nothing twice.
    await settle_back(isp, "2026-11", date(2026, 12, 1))
    await scheduler.tick(isp.app.runtime)
    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        again = (await session.execute(select(Invoice.id))).all()
    assert len(again) == len(invoices)

    off = await isp.client.put(
        "/api/v1/billing/settings", json={"currency": "USD"}, headers=isp.owner
    )
    assert off.json()["automatic_runs"] is False and off.json()["next_automatic_run_on"] is None


async def test_a_schedule_without_automated_billing_says_why_and_moves_on(business_isp):
    isp = await business_isp(
        tier="free", plugins=("customer_management", "basic_billing", "user_auth")
    )
    await isp.client.put(
        "/api/v1/billing/settings",
        json={"currency": "USD", "automatic_runs": True},
        headers=isp.owner,
    )
    await settle_back(isp, "2026-10", date(2026, 11, 1))
    await BillScheduler(isp.app.entitlements, isp.app.bus).tick(isp.app.runtime)
    now = await settings(isp)
    assert "automated_billing" in now["last_automatic_run_error"]
    assert now["next_automatic_run_on"] == "2026-12-01"
