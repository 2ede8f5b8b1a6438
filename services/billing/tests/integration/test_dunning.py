"""Dunning wired to the accounts, on real Postgres, NATS and a Temporal dev server: an account
that falls past due starts its ISP's dunning workflow (once, however often the move is
delivered), and a payment that makes it active again settles it."""

import uuid
from datetime import UTC, datetime

import pytest
from temporalio.client import WorkflowExecutionStatus

from billing.dunning.workflows import DunningWorkflow, workflow_id
from dotmac_contracts.events import BillingStatusChanged

pytestmark = pytest.mark.integration


def moved(isp_id, previous, status):
    return BillingStatusChanged(
        isp_id=isp_id,
        previous=previous,
        status=status,
        reason="a test",
        changed_at=datetime.now(UTC),
    )


async def test_past_due_starts_dunning_once_and_a_payment_settles_it(billing_api, publish, harness):
    temporal, isp = billing_api.temporal, uuid.uuid4()
    past_due = moved(isp, "active", "past_due")
    await publish(past_due)
    running = await harness.dunning(temporal, isp, lambda s: s == WorkflowExecutionStatus.RUNNING)
    await publish(past_due)  # the same move again: no second workflow
    await publish(moved(isp, "past_due", "active"))
    done = await harness.dunning(temporal, isp, lambda s: s == WorkflowExecutionStatus.COMPLETED)
    assert done.run_id == running.run_id
    result = await temporal.get_workflow_handle_for(
        DunningWorkflow.run, workflow_id(str(isp))
    ).result()
    assert result.ended == "settled" and result.retries == 0


async def test_the_activities_suspend_and_cancel_an_unpaid_account_and_leave_a_paid_one(
    billing_api, publish, harness, announced, stripe_client, mails
):
    from billing.dunning.activities import DunningActivities
    from dotmac_contracts.vocabulary import Tier

    billing = billing_api.billing
    runtime = billing.runtime
    activities = DunningActivities(runtime.db, runtime.outbox, billing.notices, billing.stripe)
    await publish(harness.catalogue())
    unpaid, paid = harness.registered(Tier.BASIC), harness.registered(Tier.BASIC)
    for signup in (unpaid, paid):
        await publish(signup, harness.licence(signup.isp_id, Tier.BASIC))
        await harness.account(billing_api, signup.isp_id, lambda a: a["opened_at"] is not None)
    # The unpaid one is past due (as Stripe's webhook would have set it).
    async with billing.runtime.db.unit_of_work() as session:
        from billing.accounts import repository

        account = await repository.get(session, unpaid.isp_id, lock=True)
        account.status = "past_due"

    await activities.retry_payment(str(unpaid.isp_id))  # its invoice is paid: nothing to retry
    for step in (activities.suspend_account, activities.cancel_account):
        for isp in (unpaid.isp_id, paid.isp_id):
            await step(str(isp))
            await step(str(isp))  # a retried activity changes nothing more
    ended = await harness.account(billing_api, unpaid.isp_id, lambda a: True)
    kept = await harness.account(billing_api, paid.isp_id, lambda a: True)
    assert (ended["status"], kept["status"]) == ("cancelled", "active")
    moves = [(e.previous, e.status) for e in await announced(unpaid.isp_id)]
    assert moves[-2:] == [("past_due", "suspended"), ("suspended", "cancelled")]
    assert [(e.previous, e.status) for e in await announced(paid.isp_id)] == [
        ("registered", "active")
    ]
    # The unpaid ISP's contact is told of each move; the paid one hears nothing.
    assert await mails(unpaid.primary_contact_email) == [
        "Your DotMac instance is suspended",
        "Your DotMac account is cancelled",
    ]
    assert await mails(paid.primary_contact_email) == []
