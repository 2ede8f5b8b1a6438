"""OffboardIspWorkflow: one per cancellation, id `offboard-<isp_id>`.

The ISP's data is exported and its owner emailed where to download it; the ISP keeps working
through the grace period, during which its owner may retract the cancellation; after it,
everything the onboarding created is destroyed, in reverse order."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from provisioning.offboarding.activities import OffboardingActivities
    from provisioning.offboarding.messages import Exported, Milestone, Offboarding

RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=0,  # an offboarding must finish; an operator sees a step retrying
)


def workflow_id(isp_id: str) -> str:
    return f"offboard-{isp_id}"


@workflow.defn
class OffboardIspWorkflow:
    def __init__(self) -> None:
        self._retracted = False
        self._state = "exporting"

    @workflow.signal
    def retracted(self) -> None:
        self._retracted = True

    @workflow.query
    def state(self) -> str:
        return self._state

    @workflow.run
    async def run(self, offboarding: Offboarding) -> str:
        delete_at = workflow.now() + timedelta(seconds=offboarding.grace_s)
        await self._announce(Milestone(offboarding.isp_id, "started", self._now(), _iso(delete_at)))
        exported: Exported = await workflow.execute_activity_method(
            OffboardingActivities.export_data,
            offboarding,
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RETRY,
        )
        await self._announce(
            Milestone(offboarding.isp_id, "exported", self._now(), export=exported)
        )
        self._state = "grace"
        try:
            await workflow.wait_condition(
                lambda: self._retracted, timeout=delete_at - workflow.now()
            )
        except TimeoutError:
            pass
        if self._retracted:
            self._state = "stopped"
            await self._announce(Milestone(offboarding.isp_id, "stopped", self._now()))
            return "stopped"
        self._state = "destroying"
        destroyed: list[str] = await workflow.execute_activity_method(
            OffboardingActivities.destroy,
            offboarding,
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RETRY,
        )
        self._state = "deleted"
        await self._announce(
            Milestone(offboarding.isp_id, "completed", self._now(), destroyed=tuple(destroyed))
        )
        return "deleted"

    def _now(self) -> str:
        return _iso(workflow.now())

    async def _announce(self, milestone: Milestone) -> None:
        await workflow.execute_activity_method(
            OffboardingActivities.announce,
            milestone,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RETRY,
        )


def _iso(moment) -> str:  # type: ignore[no-untyped-def]
    return moment.isoformat()
