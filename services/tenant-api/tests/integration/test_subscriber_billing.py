"""Subscriber billing on real Postgres: billing settings and taxes, invoices by hand with their
gapless numbers, credit notes and payments, and bill runs that prorate by the day, leave out
held and suspended days, and never invoice a customer's period twice."""

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from tenant_api.billing.money import prorated, taxed
from tenant_api.billing.settings.repository import take_invoice_numbers
from tenant_api.identity.auth.roles import Role
from tenant_api.models import CustomerStatusChange, Invoice

pytestmark = pytest.mark.integration

OCT = (date(2026, 10, 1), date(2026, 11, 1))
FIBER = {"name": "Fiber 100", "download_mbps": 100, "upload_mbps": 100, "price": "39.00"}
GIG = {"name": "Gigabit", "download_mbps": 1000, "upload_mbps": 500, "price": "90.00"}


async def post(isp, path, body, role=Role.OWNER, expect=201, key=None):
    headers = {**isp.as_(role), **({"Idempotency-Key": key} if key else {})}
    response = await isp.client.post(path, json=body, headers=headers)
    assert response.status_code == expect, f"{path}: {response.text}"
    return response.json()


async def get(isp, path, role=Role.OWNER, **params):
    response = await isp.client.get(path, params=params, headers=isp.as_(role))
    assert response.status_code == 200, f"{path}: {response.text}"
    return response.json()


async def customer(isp, name):
    return (await post(isp, "/api/v1/customers", {"name": name, "status": "active"}))["id"]


async def backdate(isp, customer_id, *moments):
    """Move the customer's status changes (oldest first) to these moments: the API records
    them as they happen, a test needs them in the past."""
    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        ids = (
            (
                await session.execute(
                    select(CustomerStatusChange.id)
                    .where(CustomerStatusChange.customer_id == customer_id)
                    .order_by(CustomerStatusChange.changed_at)
                )
            )
            .scalars()
            .all()
        )
        assert len(ids) == len(moments)
        for change_id, moment in zip(ids, moments, strict=True):
            await session.execute(
                update(CustomerStatusChange)
                .where(CustomerStatusChange.id == change_id)
                .values(changed_at=moment)
            )


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


async def test_invoices_by_hand_are_taxed_numbered_without_gaps_credited_and_paid(business_isp):
    isp = await business_isp()
    settings = await get(isp, "/api/v1/billing/settings")
    assert (settings["currency"], settings["next_invoice_number"], settings["billing_day"]) == (
        "USD",
        1,
        1,
    )
    vat = await post(isp, "/api/v1/billing/tax-rates", {"name": "VAT", "basis_points": 2000})
    await post(isp, "/api/v1/billing/tax-rates", {"name": "VAT", "basis_points": 1}, expect=409)
    put = await isp.client.put(
        "/api/v1/billing/settings",
        json={
            "currency": "EUR",
            "tax_rate_id": vat["id"],
            "invoice_prefix": "F-2026-",
            "payment_terms_days": 10,
            "billing_day": 5,
        },
        headers=isp.owner,
    )
    assert put.status_code == 200, put.text
    ann = await customer(isp, "Ann Lee")
    body = {
        "customer_id": ann,
        "lines": [
            {"description": "Installation", "unit_amount": 4999},
            {"description": "Cable", "quantity": 3, "unit_amount": 333, "discount": 99},
        ],
    }
    draft = await post(isp, "/api/v1/invoices", body, key="k-1")
    again = await post(isp, "/api/v1/invoices", body, key="k-1")
    assert again["id"] == draft["id"], "the same Idempotency-Key makes one invoice"
    assert draft["status"] == "draft" and draft["number"] is None
    # 4999 + 20% = 999.8 -> 1000; (999 - 99) = 900 + 180
    assert [(line["net"], line["tax"], line["total"]) for line in draft["lines"]] == [
        (4999, 1000, 5999),
        (900, 180, 1080),
    ]
    assert (draft["subtotal"], draft["discount_total"], draft["tax_total"], draft["total"]) == (
        5899,
        99,
        1180,
        7079,
    )
    assert draft["currency"] == "EUR"

    issued = await post(isp, f"/api/v1/invoices/{draft['id']}/issue", {}, expect=200)
    assert (issued["number"], issued["status"], issued["balance_due"]) == (
        "F-2026-000001",
        "issued",
        7079,
    )
    assert date.fromisoformat(issued["due_on"]) - date.fromisoformat(
        issued["issued_on"]
    ) == timedelta(days=10)
    await post(isp, f"/api/v1/invoices/{draft['id']}/issue", {}, expect=409)

    # A rolled-back transaction gives its numbers back: the next invoice is 2, not 3.
    with pytest.raises(RuntimeError):
        async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
            assert (await take_invoice_numbers(session, 1))[0] == 2
            raise RuntimeError("the issue failed after taking its number")
    second = await post(isp, "/api/v1/invoices", {**body, "issue": True})
    assert second["number"] == "F-2026-000002"
    voided = await post(
        isp, f"/api/v1/invoices/{second['id']}/void", {"reason": "Twice"}, expect=200
    )
    assert (voided["status"], voided["number"], voided["balance_due"]) == (
        "void",
        "F-2026-000002",
        0,
    )

    line = issued["lines"][1]
    note = await post(
        isp,
        f"/api/v1/invoices/{issued['id']}/credit-notes",
        {"reason": "Cable returned", "lines": [{"line_id": line["id"], "amount": 900}]},
    )
    assert (note["kind"], note["number"], note["total"]) == ("credit_note", "F-2026-000003", 1080)
    await post(
        isp,
        f"/api/v1/invoices/{issued['id']}/credit-notes",
        {"reason": "Again", "lines": [{"line_id": line["id"], "amount": 1}]},
        expect=409,
    )
    paid = await post(
        isp,
        f"/api/v1/invoices/{issued['id']}/payments",
        {"amount": 1000, "method": "cash"},
        key="pay-1",
    )
    assert (paid["invoice"]["status"], paid["invoice"]["balance_due"]) == ("partially_paid", 4999)
    repeat = await post(
        isp,
        f"/api/v1/invoices/{issued['id']}/payments",
        {"amount": 1000, "method": "cash"},
        key="pay-1",
    )
    assert repeat["payment"]["id"] == paid["payment"]["id"]
    await post(
        isp,
        f"/api/v1/invoices/{issued['id']}/payments",
        {"amount": 5000, "method": "cash"},
        expect=409,
    )
    await post(isp, f"/api/v1/invoices/{issued['id']}/void", {"reason": "No"}, expect=409)
    rest = await post(
        isp,
        f"/api/v1/invoices/{issued['id']}/payments",
        {"amount": 4999, "method": "bank_transfer"},
    )
    assert (rest["invoice"]["status"], rest["invoice"]["balance_due"]) == ("paid", 0)

    listed = await get(isp, "/api/v1/invoices", role=Role.READ_ONLY, customer_id=ann)
    assert [i["number"] for i in listed["items"]] == [
        "F-2026-000003",
        "F-2026-000002",
        "F-2026-000001",
    ]
    csv = await isp.client.get(
        "/api/v1/invoices", headers={**isp.as_(Role.BILLING), "Accept": "text/csv"}
    )
    assert csv.status_code == 200 and "F-2026-000001" in csv.text
    assert csv.text.splitlines()[0].startswith("id,kind,number,status")

    # Refused cleanly: bad bodies, wrong roles, other currencies once invoiced.
    support = await isp.client.post("/api/v1/invoices", json=body, headers=isp.as_(Role.SUPPORT))
    assert support.status_code == 403 and support.json()["permission"] == "billing:write"
    for bad in (
        {**body, "lines": []},
        {**body, "lines": [{"description": "x", "unit_amount": -1}]},
        {**body, "lines": [{"description": "x", "unit_amount": 1.5}]},
        {**body, "lines": [{"description": "x", "unit_amount": 10, "discount": 11}]},
        {**body, "lines": [{"description": "x", "unit_amount": 10**12, "quantity": 2}]},
        {**body, "customer_id": str(uuid.uuid4())},
        {
            **body,
            "lines": [{"description": "x", "unit_amount": 1, "tax_rate_id": str(uuid.uuid4())}],
        },
    ):
        refused = await isp.client.post("/api/v1/invoices", json=bad, headers=isp.owner)
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
    clash = await isp.client.post(
        "/api/v1/invoices",
        json={**body, "customer_id": await customer(isp, "Bo")},
        headers={**isp.owner, "Idempotency-Key": "k-1"},
    )
    assert clash.status_code == 409
    usd = await isp.client.put(
        "/api/v1/billing/settings", json={"currency": "USD", "billing_day": 5}, headers=isp.owner
    )
    assert usd.status_code == 409
    assert (await get(isp, "/api/v1/billing/settings"))["next_invoice_number"] == 4


async def test_a_bill_run_prorates_by_the_day_skips_holds_and_suspensions_and_never_bills_twice(
    business_isp,
):
    isp = await business_isp()
    ten = await post(isp, "/api/v1/billing/tax-rates", {"name": "Sales tax", "basis_points": 1000})
    incl = await post(
        isp,
        "/api/v1/billing/tax-rates",
        {"name": "VAT incl", "basis_points": 2000, "inclusive": True},
    )
    five = await post(isp, "/api/v1/billing/tax-rates", {"name": "Reduced", "basis_points": 500})
    await isp.client.put(
        "/api/v1/billing/settings",
        json={"currency": "USD", "tax_rate_id": ten["id"], "billing_day": 1},
        headers=isp.owner,
    )
    fiber = await post(isp, "/api/v1/plans", {**FIBER, "setup_fee": "25.00"})
    gig = await post(isp, "/api/v1/plans", {**GIG, "tax_rate_id": five["id"]})

    async def subscribe(customer_id, plan, starts_on):
        return await post(
            isp,
            f"/api/v1/customers/{customer_id}/subscriptions",
            {"plan_id": plan["id"], "starts_on": starts_on.isoformat()},
        )

    whole, late, mover, held, paused, gone = [
        await customer(isp, name) for name in ("Whole", "Late", "Mover", "Held", "Paused", "Gone")
    ]
    for c in (whole, late, mover, held, paused, gone):
        await backdate(isp, c, at(date(2026, 8, 1)))
    await subscribe(whole, fiber, date(2026, 9, 1))
    await subscribe(late, fiber, date(2026, 10, 11))  # 21 of 31 days, and the setup fee
    await isp.client.put(
        f"/api/v1/customers/{late}/billing", json={"tax_rate_id": incl["id"]}, headers=isp.owner
    )
    moving = await subscribe(mover, fiber, date(2026, 9, 1))
    changed = await post(
        isp,
        f"/api/v1/subscriptions/{moving['id']}/change",
        {"plan_id": gig["id"], "on": "2026-10-16"},
        expect=200,
    )
    assert changed["started"]["starts_on"] == "2026-10-16"
    await subscribe(held, fiber, date(2026, 9, 1))
    await post(
        isp,
        f"/api/v1/customers/{held}/holds",
        {"starts_on": "2026-10-05", "ends_on": "2026-10-10", "reason": "Holiday"},
    )
    await subscribe(paused, fiber, date(2026, 9, 1))
    for status in ("suspended", "active"):
        await post(
            isp,
            f"/api/v1/customers/{paused}/status",
            {"status": status, "reason": "Unpaid"},
            expect=200,
        )
    # suspended from 20 Oct, reactivated 3 Nov: the 12 days of October are not billed
    await backdate(isp, paused, at(date(2026, 8, 1)), at(date(2026, 10, 20)), at(date(2026, 11, 3)))
    await subscribe(gone, fiber, date(2026, 9, 1))
    await post(
        isp, f"/api/v1/customers/{gone}/status", {"status": "suspended", "reason": "x"}, expect=200
    )
    await backdate(isp, gone, at(date(2026, 8, 1)), at(date(2026, 9, 20)))

    def line(price, a, b, rate=1000, inclusive=False):
        amount = prorated(price, 31, (a - OCT[0]).days, (b - OCT[0]).days)
        return taxed(amount, rate, inclusive=inclusive).total

    d = date
    expected = {
        whole: line(3900, d(2026, 10, 1), d(2026, 11, 1)),
        late: line(3900, d(2026, 10, 11), d(2026, 11, 1), 2000, True)
        + taxed(2500, 2000, inclusive=True).total,
        mover: line(3900, d(2026, 10, 1), d(2026, 10, 16))
        + line(9000, d(2026, 10, 16), d(2026, 11, 1), 500),
        held: line(3900, d(2026, 10, 1), d(2026, 10, 5))
        + line(3900, d(2026, 10, 10), d(2026, 11, 1)),
        paused: line(3900, d(2026, 10, 1), d(2026, 10, 20)),
    }
    assert expected[whole] == 4290

    dry = await post(isp, "/api/v1/bill-runs", {"period": "2026-10", "dry_run": True})
    assert dry["differences"]["new_count"] == 5 and dry["invoices_created"] == 5
    assert {p["customer_id"]: p["would_invoice"] for p in dry["differences"]["new"]} == expected
    assert await get(isp, "/api/v1/invoices") == {"items": [], "total": 0, "limit": 50, "offset": 0}

    ran = await post(isp, "/api/v1/bill-runs", {"period": "2026-10"}, role=Role.BILLING)
    assert (ran["invoices_created"], ran["amount_invoiced"]) == (5, sum(expected.values()))
    invoices = (await get(isp, "/api/v1/invoices", bill_run_id=ran["id"]))["items"]
    assert {i["customer_id"]: i["total"] for i in invoices} == expected
    assert sorted(i["number"] for i in invoices) == [f"INV-{n:06d}" for n in range(1, 6)]
    for invoice in invoices:
        assert (invoice["period_start"], invoice["period_end"]) == ("2026-10-01", "2026-11-01")
        full = await get(isp, f"/api/v1/invoices/{invoice['id']}")
        assert full["total"] == sum(x["net"] for x in full["lines"]) + full["tax_total"]
        assert full["tax_total"] == sum(x["tax"] for x in full["lines"])
        assert full["status"] == "issued"
    mover_invoice = next(i for i in invoices if i["customer_id"] == mover)
    mover_lines = (await get(isp, f"/api/v1/invoices/{mover_invoice['id']}"))["lines"]
    assert [(x["kind"], x["service_start"], x["service_end"]) for x in mover_lines] == [
        ("prorated", "2026-10-01", "2026-10-16"),
        ("prorated", "2026-10-16", "2026-11-01"),
    ]

    rerun = await post(isp, "/api/v1/bill-runs", {"period": "2026-10"})
    assert (rerun["invoices_created"], rerun["amount_invoiced"]) == (0, 0)
    after = await post(isp, "/api/v1/bill-runs", {"period": "2026-10", "dry_run": True})
    assert after["differences"]["unchanged_count"] == 5 and after["differences"]["new_count"] == 0

    # A hold recorded late changes what October would be: the dry run says so, a run does not
    # invoice the customer again.
    await post(
        isp,
        f"/api/v1/customers/{whole}/holds",
        {"starts_on": "2026-10-01", "ends_on": "2026-11-01"},
    )
    changed_run = await post(isp, "/api/v1/bill-runs", {"period": "2026-10", "dry_run": True})
    assert changed_run["differences"]["gone_count"] == 1
    assert changed_run["differences"]["gone"][0]["customer_id"] == whole

    # The suspended customer's reactivation made no invoice for the days it was suspended,
    # and November (not over yet) cannot be run, only previewed.
    early = await isp.client.post(
        "/api/v1/bill-runs", json={"period": "2026-12"}, headers=isp.owner
    )
    assert early.status_code == 409
    for bad in ({"period": "2026-13"}, {"period": "26-10"}, {"period": "2026-10", "x": 1}, {}):
        refused = await isp.client.post("/api/v1/bill-runs", json=bad, headers=isp.owner)
        assert refused.status_code == 422, refused.text
    # The billing day moved to the 15th: September-October's period shares days with October's,
    # invoiced already, so it is refused rather than billing them twice.
    await isp.client.put(
        "/api/v1/billing/settings",
        json={"currency": "USD", "tax_rate_id": ten["id"], "billing_day": 15},
        headers=isp.owner,
    )
    overlapping = await isp.client.post(
        "/api/v1/bill-runs", json={"period": "2026-09"}, headers=isp.owner
    )
    assert overlapping.status_code == 409, overlapping.text
    assert overlapping.json()["overlapping_period_start"] == "2026-10-01"
    runs = await get(isp, "/api/v1/bill-runs", role=Role.READ_ONLY, dry_run="false")
    assert [r["invoices_created"] for r in runs["items"]] == [0, 5]
    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        count = len((await session.execute(select(Invoice.id))).all())
    assert count == 5


async def test_invoices_issued_at_once_get_distinct_numbers_without_gaps(business_isp):
    isp = await business_isp()
    ann = await customer(isp, "Ann")
    drafts = [
        await post(
            isp,
            "/api/v1/invoices",
            {"customer_id": ann, "lines": [{"description": f"Item {n}", "unit_amount": 100}]},
        )
        for n in range(12)
    ]

    async def issue(invoice):
        answer = await isp.client.post(
            f"/api/v1/invoices/{invoice['id']}/issue", headers=isp.as_(Role.BILLING)
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["number"]

    numbers = await asyncio.gather(*(issue(d) for d in drafts))
    assert sorted(numbers) == [f"INV-{n:06d}" for n in range(1, 13)]


async def test_a_run_left_as_drafts_is_reviewed_then_issued_in_one_go(business_isp):
    isp = await business_isp()
    plan = await post(isp, "/api/v1/plans", FIBER)
    customers = [await customer(isp, name) for name in ("Ann", "Bo", "Cy")]
    for c in customers:
        await backdate(isp, c, at(date(2026, 8, 1)))
        await post(
            isp,
            f"/api/v1/customers/{c}/subscriptions",
            {"plan_id": plan["id"], "starts_on": "2026-09-01"},
        )
    manual = await post(
        isp,
        "/api/v1/invoices",
        {"customer_id": customers[0], "lines": [{"description": "x", "unit_amount": 5}]},
    )
    ran = await post(isp, "/api/v1/bill-runs", {"period": "2026-10", "issue": False})
    drafts = (await get(isp, "/api/v1/invoices", bill_run_id=ran["id"]))["items"]
    assert {d["status"] for d in drafts} == {"draft"} and len(drafts) == 3
    await post(isp, f"/api/v1/invoices/{drafts[0]['id']}/void", {"reason": "Review"}, expect=200)
    await post(isp, f"/api/v1/invoices/{manual['id']}/issue", {}, expect=200)  # INV-000001
    issued = await post(isp, f"/api/v1/bill-runs/{ran['id']}/issue", {}, expect=200)
    assert issued["issue"] is True
    after = (await get(isp, "/api/v1/invoices", bill_run_id=ran["id"]))["items"]
    assert sorted((i["status"], i["number"]) for i in after) == [
        ("issued", "INV-000002"),
        ("issued", "INV-000003"),
        ("void", None),
    ]
    await post(isp, f"/api/v1/bill-runs/{ran['id']}/issue", {}, expect=200)
    assert (await get(isp, "/api/v1/billing/settings"))["next_invoice_number"] == 4
    dry = await post(isp, "/api/v1/bill-runs", {"period": "2026-10", "dry_run": True})
    await post(isp, f"/api/v1/bill-runs/{dry['id']}/issue", {}, expect=409)


async def test_a_run_bills_in_the_minor_units_of_the_isps_currency(business_isp):
    isp = await business_isp()
    await isp.client.put("/api/v1/billing/settings", json={"currency": "JPY"}, headers=isp.owner)
    yen = await post(isp, "/api/v1/plans", {**FIBER, "price": "3100", "currency": "JPY"})
    dollars = await post(isp, "/api/v1/plans", {**GIG, "currency": "USD"})
    ann = await customer(isp, "Ann")
    await backdate(isp, ann, at(date(2026, 8, 1)))
    for plan in (yen, dollars):
        await post(
            isp,
            f"/api/v1/customers/{ann}/subscriptions",
            {"plan_id": plan["id"], "starts_on": "2026-10-11"},
        )
    ran = await post(isp, "/api/v1/bill-runs", {"period": "2026-10"})
    invoice = (await get(isp, "/api/v1/invoices", bill_run_id=ran["id"]))["items"][0]
    # 21 of October's 31 days of 3,100 yen; the dollar plan is not billed in yen
    assert (invoice["currency"], invoice["total"]) == ("JPY", prorated(3100, 31, 10, 31))


async def test_bill_runs_need_automated_billing(business_isp):
    isp = await business_isp(
        tier="free", plugins=("customer_management", "basic_billing", "user_auth")
    )
    refused = await isp.client.post(
        "/api/v1/bill-runs", json={"period": "2026-10"}, headers=isp.owner
    )
    assert refused.status_code == 403 and "automated_billing" in refused.text
    allowed = await isp.client.get("/api/v1/invoices", headers=isp.owner)
    assert allowed.status_code == 200
