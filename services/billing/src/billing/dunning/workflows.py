"""One workflow per ISP whose payment failed (`dunning-<isp id>`): it retries the payment on
the timeline's days, suspends the ISP's account on its suspension day (licensing suspends the
licence: the instance turns read-only) and cancels it on its cancellation day. A payment at any
point (Stripe's webhook moves the account back to active, and billing signals `settled`) ends
it at once."""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from billing.dunning.messages import Dunning, Outcome

ACTIVITY_TIMEOUT = timedelta(minutes=2)


def workflow_id(isp_id: str) -> str:
    return f"dunning-{isp_id}"


@workflow.defn
class DunningWorkflow:
    def __init__(self) -> None:
        self._settled = False

    @workflow.signal
    def settled(self) -> None:
        """The ISP paid: nothing more to chase."""
        self._settled = True

    @workflow.run
    async def run(self, dunning: Dunning) -> Outcome:
        timeline, started = dunning.timeline, workflow.now()
        steps = sorted(
            [(day, "retry_payment") for day in timeline.retry_days]
            + [(timeline.suspend_day, "suspend_account"), (timeline.cancel_day, "cancel_account")]
        )
        retries = 0
        for day, step in steps:
            wait = started + timedelta(days=day) - workflow.now()
            try:
                await workflow.wait_condition(lambda: self._settled, timeout=wait)
            except TimeoutError:
                pass
            if self._settled:
                return Outcome("settled", _days(workflow.now() - started), retries)
            await workflow.execute_activity(
                step, dunning.isp_id, start_to_close_timeout=ACTIVITY_TIMEOUT
            )
            retries += step == "retry_payment"
            if step == "cancel_account":
                return Outcome("cancelled", _days(workflow.now() - started), retries)
        raise AssertionError("the timeline ends with the cancellation")


def _days(elapsed: timedelta) -> float:
    return round(elapsed.total_seconds() / 86400, 3)
