"""Dunning on real Postgres and NATS: reminders on the ISP's schedule mailed once each, a late
fee once past the grace days and never on nothing owed, suspension after the days overdue
(never for "never suspend") announced for the network, reactivation when payment clears the
debt (only of customers dunning suspended), and the daily pass on its durable timer."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from tenant_api.billing.dunning import service as dunning
from tenant_api.billing.dunning.scheduler import DunningScheduler
from tenant_api.identity.auth.roles import Role
from tenant_api.messagebus import UnitOfWork
from tenant_api.models import DunningSchedule, Entitlement, Invoice, mail_outbox

pytestmark = pytest.mark.integration

SUSPENDED = "dotmac.tenant.customer.suspended.v1"
REACTIVATED = "dotmac.tenant.customer.reactivated.v1"


async def call(isp, method, path, body=None, expect=200, role=Role.OWNER) -> Any:
    response = await isp.client.request(method, path, json=body, headers=isp.as_(role))
    assert response.status_code == expect, f"{method} {path}: {response.text}"
    return response.json() if response.content else None


async def customer(isp, name: str) -> tuple[str, str]:
    email = f"{name.lower()}-{uuid.uuid4().hex[:6]}@example.com"
    body = {"name": name, "status": "active", "email": email}
    return (await call(isp, "POST", "/api/v1/customers", body, expect=201))["id"], email


async def invoice(isp, customer_id: str, amount: int, due: date | None = None) -> dict:
    body = {
        "customer_id": customer_id,
        "lines": [{"description": "Service", "unit_amount": amount}],
        "issue": True,
    }
    made = await call(isp, "POST", "/api/v1/invoices", body, expect=201)
    if due is not None:
        async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
            await session.execute(
                update(Invoice).where(Invoice.id == made["id"]).values(due_on=due)
            )
    return made


async def configure(isp, **settings: Any) -> dict:
    body = {"enabled": True, **settings}
    return await call(isp, "PUT", "/api/v1/billing/dunning/settings", body)


async def pass_on(isp, day: date) -> Any:
    """The pass as it runs on `day` (the unit of work's clock, as the scheduler sets it)."""
    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        work = UnitOfWork(
            session, isp.id, isp.app.bus, datetime(day.year, day.month, day.day, 6, tzinfo=UTC)
        )
        result = await dunning.run_pass(work, isp.app.mailer, dry_run=False)
        await work.flush()
    return result


async def mails_to(isp, address: str) -> list[str]:
    """The reminders mailed to `address` (its invoices are mailed too, with automated_billing)."""
    async with isp.app.runtime.db.unit_of_work() as session:
        found = await session.execute(
            select(mail_outbox.c.subject)
            .where(mail_outbox.c.to_address == address)
            .order_by(mail_outbox.c.id)
        )
        return [s for s in found.scalars() if " is due on " in s or s.endswith(" is overdue")]


async def test_reminders_follow_the_schedule_and_each_is_mailed_once(business_isp):
    isp = await business_isp()
    ann, ann_mail = await customer(isp, "Ann")
    bill = await invoice(isp, ann, 4200)
    due = date.fromisoformat(bill["due_on"])
    await configure(isp, reminder_days=[7, -3, 1, 14])

    assert (await pass_on(isp, due - timedelta(days=5))).reminders == 0
    before = await pass_on(isp, due - timedelta(days=3))
    assert [(a.kind, a.step) for a in before.actions] == [("reminder", -3)]
    assert (await pass_on(isp, due - timedelta(days=2))).reminders == 0, "sent once"
    assert (await pass_on(isp, due + timedelta(days=1))).actions[0].step == 1
    # A pass that missed days sends the latest step due, not every one it missed.
    late = await pass_on(isp, due + timedelta(days=20))
    assert [a.step for a in late.actions] == [14]
    assert (await pass_on(isp, due + timedelta(days=21))).reminders == 0
    subjects = await mails_to(isp, ann_mail)
    assert subjects == [
        f"Invoice {bill['number']} is due on {due}",
        f"Invoice {bill['number']} is overdue",
        f"Invoice {bill['number']} is overdue",
    ]
    async with isp.app.runtime.db.unit_of_work() as session:
        bodies = await session.execute(
            select(mail_outbox.c.body).where(
                mail_outbox.c.to_address == ann_mail, mail_outbox.c.subject.like("%overdue")
            )
        )
    assert all("42.00 USD is left to pay" in body for body in bodies.scalars())
    listed = await call(isp, "GET", f"/api/v1/billing/dunning/actions?customer_id={ann}")
    assert sorted(a["step"] for a in listed["items"]) == [-3, 1, 14]

    # Paid: no more reminders.
    await call(
        isp, "POST", f"/api/v1/customers/{ann}/payments", {"amount": 4200, "method": "cash"}, 201
    )
    await configure(isp, reminder_days=[30])
    assert (await pass_on(isp, due + timedelta(days=40))).reminders == 0


async def test_a_late_fee_comes_once_after_the_grace_days_and_never_on_nothing_owed(business_isp):
    isp = await business_isp()
    ann, _ = await customer(isp, "Ann")
    bob, _ = await customer(isp, "Bob")
    today = datetime.now(UTC).date()
    due = today - timedelta(days=5)
    owed = await invoice(isp, ann, 10_000, due=due)
    paid = await invoice(isp, bob, 3000, due=due)
    await call(
        isp, "POST", f"/api/v1/customers/{bob}/payments", {"amount": 3000, "method": "cash"}, 201
    )
    await configure(isp, late_fee={"kind": "percent", "basis_points": 250}, grace_days=5)

    # Due + grace is today: not yet.
    assert (await call(isp, "POST", "/api/v1/billing/dunning/runs", {}))["late_fees"] == 0
    dry = await pass_on_dry(isp, today + timedelta(days=1))
    assert [(a.kind, a.invoice_id, a.amount) for a in dry.actions] == [
        ("late_fee", uuid.UUID(owed["id"]), 250)
    ]
    charged = await pass_on(isp, today + timedelta(days=1))
    assert charged.late_fees == 1
    fee = await call(isp, "GET", f"/api/v1/invoices/{charged.actions[0].fee_invoice_id}")
    assert (fee["customer_id"], fee["total"], fee["status"]) == (ann, 250, "issued")
    assert owed["number"] in fee["lines"][0]["description"]
    # Once per invoice, and no fee on the fee itself once it is overdue.
    assert (await pass_on(isp, today + timedelta(days=60))).late_fees == 0
    invoices = await call(isp, "GET", f"/api/v1/invoices?customer_id={bob}")
    assert [i["id"] for i in invoices["items"]] == [paid["id"]], "no fee on a paid invoice"


async def pass_on_dry(isp, day: date) -> Any:
    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        work = UnitOfWork(
            session, isp.id, isp.app.bus, datetime(day.year, day.month, day.day, 6, tzinfo=UTC)
        )
        return await dunning.run_pass(work, isp.app.mailer, dry_run=True)


async def test_suspension_after_the_days_overdue_and_reactivation_on_payment(business_isp):
    isp = await business_isp()
    today = datetime.now(UTC).date()
    ann, _ = await customer(isp, "Ann")
    bob, _ = await customer(isp, "Bob")
    cat, _ = await customer(isp, "Cat")
    dan, _ = await customer(isp, "Dan")
    for who in (ann, bob, dan):
        await invoice(isp, who, 5000, due=today - timedelta(days=31))
    await invoice(isp, cat, 5000, due=today - timedelta(days=29))
    await call(isp, "PUT", f"/api/v1/customers/{bob}/dunning", {"never_suspend": True})
    assert (await call(isp, "GET", f"/api/v1/customers/{bob}/dunning"))["never_suspend"] is True
    await call(
        isp,
        "POST",
        f"/api/v1/customers/{dan}/status",
        {"status": "suspended", "reason": "Abuse report"},
    )
    await configure(isp, suspend_after_days=30)

    dry = await call(isp, "POST", "/api/v1/billing/dunning/runs", {"dry_run": True})
    assert [(a["kind"], a["customer_id"]) for a in dry["actions"]] == [("suspended", ann)]
    assert (await call(isp, "GET", f"/api/v1/customers/{ann}"))["status"] == "active"
    done = await call(isp, "POST", "/api/v1/billing/dunning/runs", {})
    assert done["suspended"] == 1
    suspended = await call(isp, "GET", f"/api/v1/customers/{ann}")
    assert suspended["status"] == "suspended"
    assert suspended["status_reason"].endswith(": 50.00 USD unpaid.")
    for who in (bob, cat):
        assert (await call(isp, "GET", f"/api/v1/customers/{who}"))["status"] == "active"
    events = await isp.published(SUSPENDED)
    assert [(e["customer_id"], e["dunning"]) for e in events] == [(dan, False), (ann, True)]
    assert (await call(isp, "POST", "/api/v1/billing/dunning/runs", {}))["suspended"] == 0

    # Half paid: still overdue, still suspended.
    await call(
        isp, "POST", f"/api/v1/customers/{ann}/payments", {"amount": 2500, "method": "cash"}, 201
    )
    assert (await call(isp, "GET", f"/api/v1/customers/{ann}"))["status"] == "suspended"
    await call(
        isp, "POST", f"/api/v1/customers/{ann}/payments", {"amount": 2500, "method": "cash"}, 201
    )
    assert (await call(isp, "GET", f"/api/v1/customers/{ann}"))["status"] == "active"
    reactivated = await isp.published(REACTIVATED)
    assert [(e["customer_id"], e["dunning"], e["by"]) for e in reactivated[:1]] == [
        (ann, True, "dunning")
    ]
    # Paying the invoice itself (not the account) counts the same.
    eve, _ = await customer(isp, "Eve")
    eves = await invoice(isp, eve, 700, due=today - timedelta(days=45))
    assert (await call(isp, "POST", "/api/v1/billing/dunning/runs", {}))["suspended"] == 1
    await call(
        isp,
        "POST",
        f"/api/v1/invoices/{eves['id']}/payments",
        {"amount": 700, "method": "bank_transfer"},
        expect=201,
    )
    assert (await call(isp, "GET", f"/api/v1/customers/{eve}"))["status"] == "active"
    # Dan was suspended by hand: paying does not lift it.
    await call(
        isp, "POST", f"/api/v1/customers/{dan}/payments", {"amount": 5000, "method": "cash"}, 201
    )
    assert (await call(isp, "GET", f"/api/v1/customers/{dan}"))["status"] == "suspended"
    kinds = await call(isp, "GET", f"/api/v1/billing/dunning/actions?customer_id={ann}")
    assert sorted(a["kind"] for a in kinds["items"]) == ["reactivated", "suspended"]


async def test_suspension_off_means_never(business_isp):
    isp = await business_isp()
    ann, _ = await customer(isp, "Ann")
    await invoice(isp, ann, 5000, due=datetime.now(UTC).date() - timedelta(days=300))
    await configure(isp, suspend_after_days=None, reminder_days=[1])
    result = await call(isp, "POST", "/api/v1/billing/dunning/runs", {})
    assert (result["suspended"], result["reminders"]) == (0, 1)
    assert (await call(isp, "GET", f"/api/v1/customers/{ann}"))["status"] == "active"


async def test_the_daily_pass_runs_on_its_durable_timer(business_isp):
    isp = await business_isp()
    ann, ann_mail = await customer(isp, "Ann")
    bill = await invoice(isp, ann, 1000)
    due = date.fromisoformat(bill["due_on"])
    settings = await configure(isp, reminder_days=[2])
    today = datetime.now(UTC).date()
    assert settings["next_pass_on"] == today.isoformat()

    async def move_timer(day: date) -> None:
        async with isp.app.runtime.db.unit_of_work() as session:
            await session.execute(
                update(DunningSchedule)
                .where(DunningSchedule.tenant_id == isp.id)
                .values(due_on=day)
            )

    scheduler = DunningScheduler(isp.app.entitlements, isp.app.bus, isp.app.mailer)
    moment = datetime(due.year, due.month, due.day, 6, tzinfo=UTC) + timedelta(days=2)
    await move_timer(moment.date())
    while await scheduler.tick(isp.app.runtime, now=moment):
        pass
    assert await mails_to(isp, ann_mail) == [f"Invoice {bill['number']} is overdue"]
    now = await call(isp, "GET", "/api/v1/billing/dunning/settings")
    assert now["next_pass_on"] == (moment.date() + timedelta(days=1)).isoformat()
    assert now["last_pass_error"] is None
    # The same day again: nothing is due, nothing is sent twice.
    assert await scheduler.tick(isp.app.runtime, now=moment) == 0
    assert len(await mails_to(isp, ann_mail)) == 1

    # Off: the timer goes.
    await configure(isp, enabled=False)
    assert (await call(isp, "GET", "/api/v1/billing/dunning/settings"))["next_pass_on"] is None


async def test_dunning_needs_automated_billing_and_valid_settings(business_isp):
    free = await business_isp(tier="free", plugins=("customer_management", "basic_billing"))
    await call(free, "GET", "/api/v1/billing/dunning/settings", expect=403)
    await call(free, "POST", "/api/v1/billing/dunning/runs", {}, expect=403)

    isp = await business_isp()
    await call(isp, "POST", "/api/v1/billing/dunning/runs", {}, expect=409)  # not set up
    for bad in (
        {"enabled": True, "reminder_days": [1, 1]},
        {"enabled": True, "reminder_days": [400]},
        {"enabled": True, "late_fee": {"kind": "fixed"}},
        {"enabled": True, "late_fee": {"kind": "percent", "basis_points": 20000}},
        {"enabled": True, "suspend_after_days": 0},
        {"enabled": True, "grace_days": -1},
        {"enabled": "sometimes"},
    ):
        await call(isp, "PUT", "/api/v1/billing/dunning/settings", bad, expect=422)
    assert (await call(isp, "GET", "/api/v1/billing/dunning/settings"))["enabled"] is False
    await call(
        isp, "PUT", f"/api/v1/customers/{uuid.uuid4()}/dunning", {"never_suspend": True}, 404
    )
    await call(
        isp,
        "PUT",
        "/api/v1/billing/dunning/settings",
        {"enabled": True},
        expect=403,
        role=Role.SUPPORT,
    )


async def test_the_timer_says_why_it_did_not_run_without_automated_billing(business_isp):
    isp = await business_isp()
    await configure(isp, reminder_days=[1])
    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        await session.execute(
            update(Entitlement)
            .where(Entitlement.tenant_id == isp.id)
            .values(plugins=["customer_management", "basic_billing"])
        )
    await isp.app.entitlements.load(isp.app.runtime.db, str(isp.id))
    scheduler = DunningScheduler(isp.app.entitlements, isp.app.bus, isp.app.mailer)
    moment = datetime.now(UTC)
    while await scheduler.tick(isp.app.runtime, now=moment):
        pass
    async with isp.app.runtime.db.unit_of_work() as session:
        timer = await session.get(DunningSchedule, isp.id)
    assert timer is not None and "automated_billing" in (timer.last_error or "")
    assert timer.due_on == moment.date() + timedelta(days=1), "tried again tomorrow"
