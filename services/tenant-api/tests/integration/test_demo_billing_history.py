"""The medium demo's year of invoices comes from real bill runs: twelve periods, each billed by
one run, one invoice per customer and period, totals that add up, most paid through the
payment service, a few overdue, plan changes prorated, vacation holds left out, and nothing
mailed to the made-up customers."""

import itertools
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from tenant_api.models import (
    BillingHold,
    BillRun,
    Invoice,
    InvoiceLine,
    InvoiceMailing,
    IssuedInvoiceNumbers,
    Payment,
)

pytestmark = pytest.mark.integration


async def test_the_medium_demo_bills_its_last_twelve_months_with_real_bill_runs(business_isp):
    isp = await business_isp()
    started = time.perf_counter()
    response = await isp.client.post(
        "/api/v1/demo-data", json={"scenario": "medium"}, headers=isp.owner
    )
    seconds = time.perf_counter() - started
    print(f"medium demo loaded in {seconds:.1f} s")
    assert response.status_code == 201, response.text
    loaded = response.json()
    assert loaded["bill_runs"] == 12 and loaded["invoices"] > 12 * 150

    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        runs = (await session.scalars(select(BillRun).order_by(BillRun.period_start))).all()
        invoices = (await session.scalars(select(Invoice))).all()
        line_totals = dict(
            (
                await session.execute(
                    select(InvoiceLine.invoice_id, func.sum(InvoiceLine.total)).group_by(
                        InvoiceLine.invoice_id
                    )
                )
            ).all()
        )
        kinds = Counter((await session.scalars(select(InvoiceLine.kind))).all())
        payments = (await session.scalars(select(Payment))).all()
        holds = (await session.scalars(select(BillingHold))).all()
        mailed = await session.scalar(
            select(func.count()).where(InvoiceMailing.tenant_id == isp.id)
        )
        to_mail = await session.scalar(
            select(func.count()).where(
                IssuedInvoiceNumbers.tenant_id == isp.id,
                IssuedInvoiceNumbers.next_number <= IssuedInvoiceNumbers.last_number,
            )
        )

    assert len(runs) == 12 and not any(r.dry_run for r in runs)
    periods = [r.period_start for r in runs]
    assert len(set(periods)) == 12
    for earlier, later in itertools.pairwise(runs):
        assert earlier.period_end == later.period_start, "consecutive periods, none skipped"
    by_run = {r.id: r for r in runs}
    assert len(invoices) == loaded["invoices"]
    assert all(i.bill_run_id in by_run and i.kind == "invoice" for i in invoices)
    assert all(i.period_start == by_run[i.bill_run_id].period_start for i in invoices)
    per_customer = Counter((i.customer_id, i.period_start) for i in invoices)
    assert max(per_customer.values()) == 1, "one invoice per customer and period"
    invoiced = Counter(period for _, period in per_customer)
    assert all(invoiced[period] > 10 for period in periods), "every period is billed"
    numbers = sorted(i.sequence_number for i in invoices)
    assert numbers == list(range(1, len(invoices) + 1)), "numbered without gaps"
    for invoice in invoices:
        assert invoice.total == invoice.subtotal + invoice.tax_total == line_totals[invoice.id]
        assert invoice.issued_on == by_run[invoice.bill_run_id].period_end
    for run in runs:
        mine = [i for i in invoices if i.bill_run_id == run.id]
        assert run.invoices_created == len(mine)
        assert run.amount_invoiced == sum(i.total for i in mine)
    assert kinds["prorated"] > 0, "plan changes, starts, cancellations and holds, by the day"
    assert len(holds) == 3

    assert len(payments) == loaded["payments"]
    before_last = [i for i in invoices if i.period_start != periods[-1]]
    paid = [i for i in before_last if i.status == "paid"]
    assert len(paid) > 0.9 * len(before_last), "most are paid, a few days after issue"
    assert any(i.status == "paid" for i in invoices if i.period_start == periods[-1])
    assert any(i.status == "issued" for i in invoices if i.period_start == periods[-1])
    assert sum(p.amount for p in payments) == sum(i.amount_paid for i in invoices)
    overdue = (
        await isp.client.get("/api/v1/invoices", params={"status": "overdue"}, headers=isp.owner)
    ).json()
    assert 0 < overdue["total"] < 0.1 * len(invoices)
    assert mailed == 0 and to_mail == 0, "sample customers are not mailed"

    # A customer's statement agrees with the invoices: what is left to pay.
    someone = invoices[0].customer_id
    statement = (
        await isp.client.get(f"/api/v1/customers/{someone}/statement", headers=isp.owner)
    ).json()
    owed = sum(
        i.total - i.amount_paid - i.amount_credited for i in invoices if i.customer_id == someone
    )
    assert statement["closing_balance"] == owed
