"""Payments on real Postgres and localstripe: cash and cards to a customer's account, allocated
to its open invoices oldest first, the rest kept as credit that the next invoices (by hand or
by a bill run) take; refunds that open the invoices again; the ISP's own Stripe key, sealed."""

import os
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select, text, update

from tenant_api.billing.runs import service as runs
from tenant_api.billing.runs.schemas import BillRunCreate
from tenant_api.identity.auth.roles import Role
from tenant_api.messagebus import UnitOfWork
from tenant_api.models import CustomerStatusChange, Invoice, StripeAccount

pytestmark = pytest.mark.integration

BUSINESS_TOKEN = "business-internal-token"


@pytest.fixture(scope="module")
async def business_api(start_tenant_api, stripe_server):
    """The module's tenant-api, its ISPs' Stripe accounts reached at the test's localstripe."""
    os.environ["TENANT_API_STRIPE_API_BASE"] = stripe_server.url
    try:
        async with start_tenant_api(internal_token=BUSINESS_TOKEN, smtp_port=9) as started:
            yield started
    finally:
        os.environ.pop("TENANT_API_STRIPE_API_BASE", None)


async def call(isp, method, path, body=None, expect=200, key=None, role=Role.OWNER) -> Any:
    headers = {**isp.as_(role), **({"Idempotency-Key": key} if key else {})}
    response = await isp.client.request(method, path, json=body, headers=headers)
    assert response.status_code == expect, f"{method} {path}: {response.text}"
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
    return response.json() if response.content else None


async def customer(isp, name="Ann Lee") -> str:
    body = {"name": name, "status": "active", "email": f"{uuid.uuid4().hex[:8]}@example.com"}
    return (await call(isp, "POST", "/api/v1/customers", body, expect=201))["id"]


async def invoice(isp, customer_id, amount, issue=True) -> dict:
    body = {
        "customer_id": customer_id,
        "lines": [{"description": "Service", "unit_amount": amount}],
        "issue": issue,
    }
    return await call(isp, "POST", "/api/v1/invoices", body, expect=201)


async def due_on(isp, invoice_id, day: date) -> None:
    """Move an invoice's due date (the API issues with today's terms; tests need the past)."""
    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        await session.execute(update(Invoice).where(Invoice.id == invoice_id).values(due_on=day))


async def read(isp, invoice_id) -> dict:
    return await call(isp, "GET", f"/api/v1/invoices/{invoice_id}")


async def account(isp, customer_id) -> dict:
    return await call(isp, "GET", f"/api/v1/customers/{customer_id}/account")


async def test_a_payment_pays_the_oldest_invoices_first_and_the_rest_is_credit(business_isp):
    isp = await business_isp()
    ann = await customer(isp)
    older, newer = await invoice(isp, ann, 3000), await invoice(isp, ann, 2000)
    await due_on(isp, older["id"], date(2026, 1, 10))
    await due_on(isp, newer["id"], date(2026, 2, 10))

    paid = await call(
        isp,
        "POST",
        f"/api/v1/customers/{ann}/payments",
        {"amount": 4000, "method": "cash"},
        expect=201,
        key="p-1",
    )
    assert [(a["invoice_id"], a["amount"]) for a in paid["allocations"]] == [
        (older["id"], 3000),
        (newer["id"], 1000),
    ]
    assert (paid["allocated"], paid["unallocated"]) == (4000, 0)
    assert (await read(isp, older["id"]))["status"] == "paid"
    assert (await read(isp, newer["id"]))["balance_due"] == 1000

    again = await call(
        isp,
        "POST",
        f"/api/v1/customers/{ann}/payments",
        {"amount": 4000, "method": "cash"},
        expect=201,
        key="p-1",
    )
    assert again["id"] == paid["id"], "the same Idempotency-Key records one payment"
    await call(
        isp,
        "POST",
        f"/api/v1/customers/{ann}/payments",
        {"amount": 5, "method": "cash"},
        expect=409,
        key="p-1",
    )

    over = await call(
        isp,
        "POST",
        f"/api/v1/customers/{ann}/payments",
        {"amount": 2500, "method": "bank_transfer", "reference": "SEPA 123"},
        expect=201,
    )
    assert [(a["invoice_id"], a["amount"]) for a in over["allocations"]] == [(newer["id"], 1000)]
    assert over["unallocated"] == 1500
    assert await account(isp, ann) == {
        "customer_id": ann,
        "currency": "USD",
        "balance_due": 0,
        "overdue": 0,
        "credit": 1500,
        "net_balance": -1500,
    }

    # The next invoice, issued by hand, takes the credit at once.
    third = await invoice(isp, ann, 1000)
    third = await read(isp, third["id"])
    assert (third["status"], third["amount_paid"]) == ("paid", 1000)
    fourth = await read(isp, (await invoice(isp, ann, 800))["id"])
    assert (fourth["status"], fourth["balance_due"]) == ("partially_paid", 300)
    assert (await account(isp, ann))["credit"] == 0
    listed = await call(isp, "GET", "/api/v1/payments", None)
    assert {p["id"] for p in listed["items"]} == {paid["id"], over["id"]}
    detail = await call(isp, "GET", f"/api/v1/payments/{over['id']}")
    assert [a["amount"] for a in detail["allocations"]] == [1000, 1000, 500]


async def test_bad_payments_are_refused_and_change_nothing(business_isp):
    isp = await business_isp()
    ann = await customer(isp)
    bill = await invoice(isp, ann, 1000)
    base = f"/api/v1/customers/{ann}/payments"
    for body in (
        {"amount": 0, "method": "cash"},
        {"amount": -5, "method": "cash"},
        {"amount": 10**13, "method": "cash"},
        {"amount": 100, "method": "cheque"},
        {"amount": 100, "method": "card"},  # no payment method
        {"amount": 100, "method": "cash", "payment_method": "pm_card_visa"},
        {"amount": "1e3", "method": "cash"},
        {"amount": 100, "method": "cash", "invoice_id": bill["id"]},
    ):
        await call(isp, "POST", base, body, expect=422)
    await call(
        isp,
        "POST",
        f"/api/v1/customers/{uuid.uuid4()}/payments",
        {"amount": 100, "method": "cash"},
        expect=404,
    )
    await call(isp, "POST", base, {"amount": 100, "method": "cash"}, expect=403, role=Role.SUPPORT)
    # A card without the ISP's Stripe key: refused before anything is charged.
    card = {"amount": 100, "method": "card", "payment_method": "pm_card_visa"}
    no_key = await call(isp, "POST", base, card, expect=422)
    assert "Idempotency-Key" in no_key["detail"]
    refused = await call(isp, "POST", base, card, expect=409, key="card-no-stripe")
    assert "Stripe" in refused["detail"]
    assert (await read(isp, bill["id"]))["balance_due"] == 1000
    assert (await call(isp, "GET", "/api/v1/payments"))["total"] == 0


async def test_card_payments_go_through_the_isps_own_stripe_account(business_isp, stripe_server):
    isp = await business_isp()
    assert (await call(isp, "GET", "/api/v1/billing/settings/stripe"))["configured"] is False
    key = f"sk_test_{uuid.uuid4().hex}"
    shown = await call(isp, "PUT", "/api/v1/billing/settings/stripe", {"secret_key": key})
    assert (shown["configured"], shown["key_last4"], shown["live"]) == (True, key[-4:], False)
    assert key not in str(await call(isp, "GET", "/api/v1/billing/settings/stripe"))
    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        sealed = await session.scalar(select(StripeAccount.sealed_secret_key))
    assert sealed and key not in sealed
    assert isp.app.sealer.unseal(sealed) == {"secret_key": key}
    await call(isp, "PUT", "/api/v1/billing/settings/stripe", {"secret_key": "pk_test_1"}, 422)

    ann = await customer(isp)
    bill = await invoice(isp, ann, 2599)
    paid = await call(
        isp,
        "POST",
        f"/api/v1/customers/{ann}/payments",
        {"amount": 2599, "method": "card", "payment_method": "pm_card_visa"},
        expect=201,
        key="card-1",
    )
    assert (paid["method"], paid["card_last4"]) == ("card", "4242")
    assert paid["stripe_payment_intent"].startswith("pi_")
    assert (await read(isp, bill["id"]))["status"] == "paid"
    import stripe

    client = stripe.StripeClient(key, base_addresses={"api": stripe_server.url})
    intent = client.v1.payment_intents.retrieve(paid["stripe_payment_intent"])
    assert (intent.amount, intent.currency, intent.status) == (2599, "usd", "succeeded")
    assert intent.metadata["payment_id"] == paid["id"]

    # Declined: a 402 problem, nothing recorded.
    second = await invoice(isp, ann, 1000)
    declined = await call(
        isp,
        "POST",
        f"/api/v1/customers/{ann}/payments",
        {"amount": 1000, "method": "card", "payment_method": "pm_card_chargeCustomerFail"},
        expect=402,
        key="card-declined",
    )
    assert "declined" in declined["detail"]
    unknown = await call(
        isp,
        "POST",
        f"/api/v1/customers/{ann}/payments",
        {"amount": 1000, "method": "card", "payment_method": "pm_nothing_like_it"},
        expect=422,
        key="card-unknown",
    )
    assert "payment method" in unknown["detail"]
    assert (await read(isp, second["id"]))["balance_due"] == 1000
    assert (await call(isp, "GET", "/api/v1/payments"))["total"] == 1

    # A key Stripe refuses (localstripe takes only secret keys): a clear 409, not a 500.
    await call(isp, "PUT", "/api/v1/billing/settings/stripe", {"secret_key": "rk_test_restricted1"})
    refused = await call(
        isp,
        "POST",
        f"/api/v1/customers/{ann}/payments",
        {"amount": 1000, "method": "card", "payment_method": "pm_card_visa"},
        expect=409,
        key="card-bad-key",
    )
    assert "secret key" in refused["detail"]
    await call(isp, "DELETE", "/api/v1/billing/settings/stripe", expect=204)
    assert (await call(isp, "GET", "/api/v1/billing/settings/stripe"))["configured"] is False


async def test_card_payments_need_automated_billing(business_isp):
    isp = await business_isp(tier="free", plugins=("customer_management", "basic_billing"))
    ann = await customer(isp)
    await call(
        isp,
        "POST",
        f"/api/v1/customers/{ann}/payments",
        {"amount": 100, "method": "card", "payment_method": "pm_card_visa"},
        expect=403,
        key="card-free-tier",
    )
    await call(isp, "GET", "/api/v1/billing/settings/stripe", expect=403)
    cash = await call(
        isp, "POST", f"/api/v1/customers/{ann}/payments", {"amount": 100, "method": "cash"}, 201
    )
    assert cash["unallocated"] == 100


async def test_refunds_take_back_the_credit_first_then_open_the_invoices_again(
    business_isp, stripe_server
):
    isp = await business_isp()
    await call(
        isp, "PUT", "/api/v1/billing/settings/stripe", {"secret_key": f"sk_test_{uuid.uuid4().hex}"}
    )
    ann = await customer(isp)
    older, newer = await invoice(isp, ann, 1000), await invoice(isp, ann, 1000)
    await due_on(isp, older["id"], date(2026, 1, 1))
    await due_on(isp, newer["id"], date(2026, 2, 1))
    paid = await call(
        isp,
        "POST",
        f"/api/v1/customers/{ann}/payments",
        {"amount": 2500, "method": "card", "payment_method": "pm_card_visa"},
        expect=201,
        key="card-for-refunds",
    )
    assert paid["unallocated"] == 500
    refunds = f"/api/v1/payments/{paid['id']}/refunds"
    await call(isp, "POST", refunds, {"amount": 2501}, expect=409)
    await call(isp, "POST", refunds, {"amount": 0}, expect=422)

    first = await call(isp, "POST", refunds, {"amount": 700, "reason": "Moved"}, 201, key="r-1")
    assert first["refund"]["stripe_refund"].startswith("re_")
    again = await call(isp, "POST", refunds, {"amount": 700, "reason": "Moved"}, 201, key="r-1")
    assert again["refund"]["id"] == first["refund"]["id"], "one refund per Idempotency-Key"
    after = first["payment"]
    assert (after["amount_refunded"], after["unallocated"], after["allocated"]) == (700, 0, 1800)
    # The credit (500) went first, then 200 off the invoice paid last.
    assert after["allocations"][-1]["invoice_id"] == newer["id"]
    assert after["allocations"][-1]["amount"] == -200
    newer_now = await read(isp, newer["id"])
    assert (newer_now["status"], newer_now["balance_due"]) == ("overdue", 200)
    assert (await read(isp, older["id"]))["status"] == "paid"

    rest = await call(isp, "POST", refunds, {}, expect=201)
    assert rest["refund"]["amount"] == 1800
    assert (rest["payment"]["allocated"], rest["payment"]["unallocated"]) == (0, 0)
    for bill in (older, newer):
        now = await read(isp, bill["id"])
        assert (now["status"], now["amount_paid"], now["balance_due"]) == ("overdue", 0, 1000)
    await call(isp, "POST", refunds, {"amount": 1}, expect=409)

    import stripe

    key_client = stripe.StripeClient("sk_test_x1", base_addresses={"api": stripe_server.url})
    listed = key_client.v1.refunds.list({"payment_intent": paid["stripe_payment_intent"]})
    assert sorted(r.amount for r in listed.data) == [700, 1800]


async def test_a_cash_refund_unwinds_without_stripe(business_isp):
    isp = await business_isp()
    ann = await customer(isp)
    bill = await invoice(isp, ann, 1000)
    paid = await call(
        isp, "POST", f"/api/v1/customers/{ann}/payments", {"amount": 1000, "method": "cash"}, 201
    )
    refund = await call(isp, "POST", f"/api/v1/payments/{paid['id']}/refunds", {"amount": 400}, 201)
    assert refund["refund"]["stripe_refund"] is None
    now = await read(isp, bill["id"])
    assert (now["status"], now["balance_due"]) == ("partially_paid", 400)
    await call(isp, "POST", f"/api/v1/payments/{uuid.uuid4()}/refunds", {}, expect=404)


async def test_credit_from_an_overpayment_pays_the_next_bill_run(business_isp):
    isp = await business_isp()
    plan = await call(
        isp,
        "POST",
        "/api/v1/plans",
        {"name": "Fiber", "download_mbps": 100, "upload_mbps": 100, "price": "30.00"},
        expect=201,
    )
    ann, bob = await customer(isp, "Ann"), await customer(isp, "Bob")
    for who in (ann, bob):
        await call(
            isp,
            "POST",
            f"/api/v1/customers/{who}/subscriptions",
            {"plan_id": plan["id"], "starts_on": "2026-09-01"},
            expect=201,
        )
    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        await session.execute(
            update(CustomerStatusChange).values(changed_at=datetime(2026, 8, 1, tzinfo=UTC))
        )
    # Ann pays ahead: 45.00 with nothing to pay yet is credit.
    ahead = await call(
        isp, "POST", f"/api/v1/customers/{ann}/payments", {"amount": 4500, "method": "cash"}, 201
    )
    assert (ahead["allocations"], ahead["unallocated"]) == ([], 4500)

    async def bill(period: str, now: datetime) -> None:
        async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
            work = UnitOfWork(session, isp.id, isp.app.bus, now)
            await runs.run(work, BillRunCreate(period=period), by="test")
            await work.flush()

    await bill("2026-09", datetime(2026, 10, 2, 9, tzinfo=UTC))
    invoices = (await call(isp, "GET", "/api/v1/invoices", None))["items"]
    by_customer = {i["customer_id"]: i for i in invoices}
    assert (by_customer[ann]["status"], by_customer[ann]["amount_paid"]) == ("paid", 3000)
    assert (by_customer[bob]["amount_paid"], by_customer[bob]["balance_due"]) == (0, 3000)
    assert (await account(isp, ann))["credit"] == 1500

    await bill("2026-10", datetime(2026, 11, 2, 9, tzinfo=UTC))
    october = {
        i["customer_id"]: i
        for i in (await call(isp, "GET", "/api/v1/invoices?period_start=2026-10-01"))["items"]
    }
    assert (october[ann]["amount_paid"], october[ann]["balance_due"]) == (1500, 1500)
    assert october[ann]["status"] == "overdue"  # due mid-November 2026, read after it
    assert (await account(isp, ann))["credit"] == 0
    detail = await call(isp, "GET", f"/api/v1/payments/{ahead['id']}")
    assert [a["amount"] for a in detail["allocations"]] == [3000, 1500]
    assert (detail["allocated"], detail["unallocated"]) == (4500, 0)


async def test_allocations_always_add_up_in_the_database(business_isp):
    """The stored rows keep the ledger's promise: what every payment holds on invoices plus
    its credit is what was paid less what was refunded, and each invoice's amount_paid is
    the sum of its allocations."""
    isp = await business_isp()
    ann = await customer(isp)
    for amount in (1200, 800, 999):
        await invoice(isp, ann, amount)
    paid = []
    for amount in (1000, 1500, 900):
        paid.append(
            await call(
                isp,
                "POST",
                f"/api/v1/customers/{ann}/payments",
                {"amount": amount, "method": "cash"},
                expect=201,
            )
        )
    await call(isp, "POST", f"/api/v1/payments/{paid[1]['id']}/refunds", {"amount": 1300}, 201)
    await invoice(isp, ann, 500)
    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        mismatched = await session.execute(
            text(
                "SELECT i.id FROM tenant_data.invoices i LEFT JOIN ("
                " SELECT invoice_id, sum(amount) s FROM tenant_data.payment_allocations"
                " GROUP BY invoice_id) a ON a.invoice_id = i.id"
                " WHERE i.amount_paid <> coalesce(a.s, 0)"
            )
        )
        assert mismatched.all() == []
        negative = await session.execute(
            text(
                "SELECT p.id FROM tenant_data.payments p WHERE p.amount - p.amount_refunded - "
                "(SELECT coalesce(sum(amount), 0) FROM tenant_data.payment_allocations a"
                " WHERE a.payment_id = p.id) < 0"
            )
        )
        assert negative.all() == []
    state = await account(isp, ann)
    refunded = 1300
    assert state["balance_due"] - state["credit"] == (1200 + 800 + 999 + 500) - (
        1000 + 1500 + 900 - refunded
    )


async def test_concurrent_payments_of_one_customer_never_pay_an_invoice_twice(business_isp):
    """Two payments at once (two cashiers, say): the customer's account is taken one payment
    at a time, so the second sees what the first paid and keeps its money as credit."""
    import asyncio

    isp = await business_isp()
    ann = await customer(isp)
    bill = await invoice(isp, ann, 1000)
    body = {"amount": 1000, "method": "cash"}
    paid = await asyncio.gather(
        *(
            call(isp, "POST", f"/api/v1/customers/{ann}/payments", body, expect=201)
            for _ in range(4)
        )
    )
    assert sorted(p["unallocated"] for p in paid) == [0, 1000, 1000, 1000]
    now = await read(isp, bill["id"])
    assert (now["amount_paid"], now["status"]) == (1000, "paid")
    assert (await account(isp, ann))["credit"] == 3000
