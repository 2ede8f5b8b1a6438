"""The bill run's SQL against its definition: random customers (subscriptions starting,
changing plan and ending anywhere around the period, holds on the customer or one subscription,
suspensions), one run, and each invoice compared with what `tenant_api.billing.money` and
`periods` say it must hold. No line covers a held or suspended day, no day is on two lines of a
subscription, and every amount matches to the cent."""

import random
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from tenant_api.billing.money import prorated, taxed
from tenant_api.billing.periods import billable
from tenant_api.identity.auth.roles import Role
from tenant_api.models import (
    BillingHold,
    CustomerStatusChange,
    Invoice,
    InvoiceLine,
    Subscription,
)

pytestmark = pytest.mark.integration

P0, P1 = date(2026, 9, 1), date(2026, 10, 1)
N = (P1 - P0).days
PRICES = (3900, 4999, 10001)
RATE = 750  # 7.5% added to prices


def around(rng: random.Random) -> date:
    return P0 + timedelta(days=rng.randint(-10, N + 10))


async def test_every_invoice_of_a_run_is_what_the_arithmetic_says(business_isp):
    isp = await business_isp()
    rate = await isp.client.post(
        "/api/v1/billing/tax-rates",
        json={"name": "Tax", "basis_points": RATE},
        headers=isp.owner,
    )
    await isp.client.put(
        "/api/v1/billing/settings",
        json={"currency": "USD", "tax_rate_id": rate.json()["id"]},
        headers=isp.owner,
    )
    plans = []
    for i, cents in enumerate(PRICES):
        made = await isp.client.post(
            "/api/v1/plans",
            json={
                "name": f"Plan {i}",
                "download_mbps": 10,
                "upload_mbps": 10,
                "price": f"{cents // 100}.{cents % 100:02d}",
            },
            headers=isp.as_(Role.BILLING),
        )
        plans.append((uuid.UUID(made.json()["id"]), cents))
    rng = random.Random(16)
    expected: dict[uuid.UUID, int] = {}
    unbilled_days: dict[uuid.UUID, set[date]] = {}
    now = datetime.now(UTC)
    subscriptions, holds, history = [], [], []
    customers = []
    for n in range(40):
        created = await isp.client.post(
            "/api/v1/customers", json={"name": f"Random {n}", "status": "active"}, headers=isp.owner
        )
        customers.append(uuid.UUID(created.json()["id"]))
    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        await session.execute(
            CustomerStatusChange.__table__.update().values(
                changed_at=datetime(2026, 1, 1, tzinfo=UTC)
            )
        )
    for customer_id in customers:
        off: list[tuple[date, date]] = []
        # suspended now and then (whole days: from the day of the change to the day back)
        for _ in range(rng.randint(0, 2)):
            a = around(rng)
            b = a + timedelta(days=rng.randint(1, 12))
            off.append((a, b))
        off.sort()
        merged: list[tuple[date, date]] = []
        for a, b in off:
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
            else:
                merged.append((a, b))
        for a, b in merged:
            history += [
                (
                    customer_id,
                    "active",
                    "suspended",
                    datetime(a.year, a.month, a.day, 8, tzinfo=UTC),
                ),
                (
                    customer_id,
                    "suspended",
                    "active",
                    datetime(b.year, b.month, b.day, 17, tzinfo=UTC),
                ),
            ]
        customer_holds = []
        if rng.random() < 0.4:
            a = around(rng)
            customer_holds.append((a, a + timedelta(days=rng.randint(1, 15))))
            holds.append((customer_id, None, *customer_holds[-1]))
        # one to three subscriptions one after another: plan changes, maybe an end
        start = around(rng) - timedelta(days=20)
        previous = None
        total = 0
        for k in range(rng.randint(1, 3)):
            plan_id, price = plans[rng.randrange(len(plans))]
            sub_id = uuid.uuid4()
            last = k == 2 or rng.random() < 0.4
            end = (
                start + timedelta(days=rng.randint(1, 25))
                if not last or rng.random() < 0.5
                else None
            )
            sub_holds = []
            if rng.random() < 0.3:
                a = around(rng)
                sub_holds.append((a, a + timedelta(days=rng.randint(1, 10))))
                holds.append((customer_id, sub_id, *sub_holds[-1]))
            subscriptions.append(
                {
                    "id": sub_id,
                    "tenant_id": isp.id,
                    "customer_id": customer_id,
                    "plan_id": plan_id,
                    "starts_on": start,
                    "ends_on": end,
                    "end_reason": None if end is None else ("cancelled" if last else "changed"),
                    "previous_id": previous,
                    "created_at": now,
                }
            )
            served = (max(start, P0), min(end or P1, P1))
            for a, b in billable(served, *merged, *customer_holds, *sub_holds):
                total += taxed(
                    prorated(price, N, (a - P0).days, (b - P0).days), RATE, inclusive=False
                ).total
            unbilled_days[sub_id] = {
                a + timedelta(days=i)
                for a, b in (*merged, *customer_holds, *sub_holds)
                for i in range((b - a).days)
            }
            if end is None or last:
                break
            previous, start = sub_id, end
        if total:
            expected[customer_id] = total

    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        await session.execute(insert(Subscription), subscriptions)
        if holds:
            await session.execute(
                insert(BillingHold),
                [
                    {
                        "id": uuid.uuid4(),
                        "tenant_id": isp.id,
                        "customer_id": c,
                        "subscription_id": s,
                        "starts_on": a,
                        "ends_on": b,
                        "created_by": "test",
                        "created_at": now,
                    }
                    for c, s, a, b in holds
                ],
            )
        await session.execute(
            insert(CustomerStatusChange),
            [
                {
                    "id": uuid.uuid4(),
                    "tenant_id": isp.id,
                    "customer_id": c,
                    "from_status": f,
                    "to_status": t,
                    "changed_at": at,
                }
                for c, f, t, at in history
            ],
        )

    ran = await isp.client.post("/api/v1/bill-runs", json={"period": "2026-09"}, headers=isp.owner)
    assert ran.status_code == 201, ran.text
    async with isp.app.runtime.db.unit_of_work(tenant=isp.id) as session:
        invoices = (await session.execute(select(Invoice))).scalars().all()
        lines = (await session.execute(select(InvoiceLine))).scalars().all()
    assert {i.customer_id: i.total for i in invoices} == expected
    assert len(expected) > 20, "the random customers should mostly have something to bill"
    by_subscription: dict[uuid.UUID, list[date]] = {}
    for line in lines:
        if line.kind == "setup_fee":
            continue
        days = [
            line.service_start + timedelta(days=i)
            for i in range((line.service_end - line.service_start).days)
        ]
        assert not set(days) & unbilled_days[line.subscription_id], "a held or suspended day billed"
        assert all(P0 <= d < P1 for d in days)
        by_subscription.setdefault(line.subscription_id, []).extend(days)
    for days in by_subscription.values():
        assert len(days) == len(set(days)), "a day billed twice"
    for invoice in invoices:
        mine = [x for x in lines if x.invoice_id == invoice.id]
        assert invoice.total == sum(x.net for x in mine) + invoice.tax_total
        assert invoice.tax_total == sum(x.tax for x in mine)
