"""Usage against the tier's cap, on real Postgres and NATS: tenant-api's counts recorded per day
(the day's highest), 80% and 100% of the cap announced once per crossing, stale counts moving
nothing, and a new licence's cap applied to the count there is."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from dotmac_contracts.events import (
    CustomerCount,
    CustomersCounted,
    LicenceChanged,
    UsageThresholdCrossed,
)
from dotmac_contracts.vocabulary import Tier

pytestmark = pytest.mark.integration


def counted(isp_id, customers, at):
    return CustomersCounted(
        counts=[CustomerCount(isp_id=isp_id, customers=customers, counted_at=at)]
    )


@pytest.fixture
async def capped(billing_api, publish, harness):
    """An open basic-tier ISP whose licence caps it at 100 customers."""
    await publish(harness.catalogue())
    signup = harness.registered(Tier.BASIC)
    issued = harness.licence(signup.isp_id, Tier.BASIC).model_copy(update={"customer_cap": 100})
    await publish(signup, issued)
    return await harness.account(
        billing_api, signup.isp_id, lambda a: a["opened_at"] is not None and a["customer_cap"]
    )


async def crossings(announced, isp_id):
    return [(e.threshold, e.customers) for e in await announced(isp_id, UsageThresholdCrossed)]


async def test_eighty_and_a_hundred_percent_are_announced_once_per_crossing(
    billing_api, publish, harness, capped, announced, mails
):
    isp, start = uuid.UUID(capped["isp_id"]), datetime.now(UTC)
    steps = [50, 79, 80, 85, 100, 99, 100, 70, 81]
    for i, customers in enumerate(steps):
        await publish(counted(isp, customers, start + timedelta(seconds=i)))
        await harness.account(billing_api, isp, lambda a, c=customers: a["customers"] == c)
    assert await crossings(announced, isp) == [
        (80, 80),  # 79 → 80
        (100, 100),  # 85 → 100
        (100, 100),  # 99 → 100: below 100 and back is a new crossing of 100
        (80, 81),  # 70 → 81: below 80 and back
    ]
    limit = "You have reached your DotMac tier's customer limit"
    near = "You are at 80% of your DotMac tier's customer limit"
    contact = f"billing+{isp.hex[:12]}@example.net"
    assert await mails(contact) == [near, limit, limit, near]  # the ISP is told each time


async def test_counts_are_kept_per_day_and_a_stale_count_moves_nothing(
    billing_api, publish, harness, capped, announced
):
    isp = uuid.UUID(capped["isp_id"])
    today = datetime.now(UTC)
    yesterday = today - timedelta(days=1)
    await publish(counted(isp, 40, yesterday), counted(isp, 60, yesterday + timedelta(seconds=1)))
    await publish(counted(isp, 55, today))
    await harness.account(billing_api, isp, lambda a: a["customers"] == 55)
    # Older than the count applied: it counts for its own day, and moves nothing now.
    await publish(counted(isp, 95, yesterday + timedelta(seconds=2)))
    usage = {}
    for _ in range(100):
        response = await billing_api.get(
            f"/internal/v1/billing/isps/{isp}/usage", headers=harness.internal
        )
        usage = {d["day"]: d["customers"] for d in response.json()["days"]}
        if usage.get(yesterday.date().isoformat()) == 95:
            break
        await asyncio.sleep(0.05)
    assert usage[today.date().isoformat()] == 55
    assert usage[yesterday.date().isoformat()] == 95  # the day's highest
    assert (await harness.account(billing_api, isp, lambda a: True))["customers"] == 55
    assert await crossings(announced, isp) == []  # the stale 95 crossed nothing


async def test_a_lower_cap_from_a_new_licence_applies_to_the_count_there_is(
    billing_api, publish, harness, capped, announced
):
    isp = uuid.UUID(capped["isp_id"])
    await publish(counted(isp, 60, datetime.now(UTC)))
    await harness.account(billing_api, isp, lambda a: a["customers"] == 60)
    now = datetime.now(UTC)
    await publish(
        LicenceChanged(
            licence_id=uuid.uuid4(),
            isp_id=isp,
            previous_tier=Tier.BASIC,
            tier=Tier.BASIC,
            plugins=[],
            customer_cap=70,
            issued_at=now,
            expires_at=now + timedelta(days=365),
            token="t",
        )
    )
    await harness.account(billing_api, isp, lambda a: a["customer_cap"] == 70)
    assert await crossings(announced, isp) == [(80, 60)]  # 60 of 70 is 86%


async def test_one_event_carries_many_isps_counts_each_applied_as_if_alone(
    billing_api, publish, harness, announced
):
    """tenant-api announces the counts that changed in batches: each ISP's count in the batch
    is recorded for its day and checked against its own cap; an ISP billing does not know
    fails nothing for the others, and a stale count moves its account nothing."""
    await publish(harness.catalogue())
    isps = []
    for cap in (100, 100):
        signup = harness.registered(Tier.BASIC)
        issued = harness.licence(signup.isp_id, Tier.BASIC).model_copy(update={"customer_cap": cap})
        await publish(signup, issued)
        await harness.account(billing_api, signup.isp_id, lambda a: a["customer_cap"] == 100)
        isps.append(signup.isp_id)
    near, full = isps
    stranger, now = uuid.uuid4(), datetime.now(UTC)
    await publish(counted(near, 70, now))
    await harness.account(billing_api, near, lambda a: a["customers"] == 70)

    batch = CustomersCounted(
        counts=[
            CustomerCount(isp_id=near, customers=85, counted_at=now + timedelta(seconds=1)),
            CustomerCount(isp_id=full, customers=100, counted_at=now + timedelta(seconds=1)),
            CustomerCount(isp_id=stranger, customers=5, counted_at=now + timedelta(seconds=1)),
        ]
    )
    await publish(batch)
    await harness.account(billing_api, near, lambda a: a["customers"] == 85)
    await harness.account(billing_api, full, lambda a: a["customers"] == 100)
    assert await crossings(announced, near) == [(80, 85)]
    assert await crossings(announced, full) == [(80, 100), (100, 100)]  # 0 → 100: both

    stale = CustomersCounted(
        counts=[
            CustomerCount(isp_id=near, customers=10, counted_at=now),  # older than the 85
            CustomerCount(isp_id=full, customers=50, counted_at=now + timedelta(seconds=2)),
        ]
    )
    await publish(stale)
    await harness.account(billing_api, full, lambda a: a["customers"] == 50)
    assert (await harness.account(billing_api, near, lambda a: True))["customers"] == 85
    response = await billing_api.get(
        f"/internal/v1/billing/isps/{stranger}/usage", headers=harness.internal
    )
    assert response.status_code == 404, "a count of an ISP billing does not know opens nothing"


def test_a_batch_holds_one_count_per_isp_and_at_least_one():
    isp, now = uuid.uuid4(), datetime.now(UTC)
    one = CustomerCount(isp_id=isp, customers=1, counted_at=now)
    with pytest.raises(ValidationError, match="one count per ISP"):
        CustomersCounted(counts=[one, one.model_copy(update={"customers": 2})])
    with pytest.raises(ValidationError):
        CustomersCounted(counts=[])
    with pytest.raises(ValidationError):
        CustomerCount(isp_id=isp, customers=-1, counted_at=now)
