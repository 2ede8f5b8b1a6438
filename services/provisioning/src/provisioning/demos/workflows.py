"""DemoLifecycleWorkflow: one per demo, id `demo-<demo_id>`.

A demo opens with its sample data and lives a term (7 days). A sign-in extends it to a term
after that sign-in. A demo unused for its whole term gets a follow-up email and a second term
to be used or converted; after that it is removed, tenant and data. Conversion into a paid ISP
ends the lifecycle at any point (the ISP's onboarding takes the tenant over)."""

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from provisioning.demos.activities import DemoActivities
    from provisioning.demos.messages import Announcement, Demo, Opened, Reminder

TERM = timedelta(days=7)
RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=0,  # the demo's own steps must finish; an operator sees them retrying
    non_retryable_error_types=["ConfigurationError"],
)


def workflow_id(demo_id: str) -> str:
    return f"demo-{demo_id}"


@workflow.defn
class DemoLifecycleWorkflow:
    def __init__(self) -> None:
        self._state = "requested"
        self._used_at: datetime | None = None
        self._converted = False
        self._expires_at: datetime | None = None

    @workflow.signal
    def used(self, at: str) -> None:
        """Someone signed in to the demo at `at` (ISO 8601)."""
        when = datetime.fromisoformat(at)
        if self._used_at is None or when > self._used_at:
            self._used_at = when

    @workflow.signal
    def converted(self) -> None:
        self._converted = True

    @workflow.query
    def state(self) -> str:
        return self._state

    @workflow.query
    def expires_at(self) -> str:
        return self._expires_at.isoformat() if self._expires_at else ""

    @workflow.run
    async def run(self, demo: Demo) -> str:
        opened: Opened = await workflow.execute_activity_method(
            DemoActivities.open_demo,
            demo,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=RETRY,
        )
        self._state = "active"
        self._expires_at = workflow.now() + TERM
        await self._announce(demo, "opened", self._expires_at, url=opened.url)
        while True:
            outcome = await self._until(self._expires_at)
            if outcome == "converted":
                return await self._convert(demo)
            if outcome == "used":
                await self._extend(demo)
                continue
            self._state = "expiring"
            removal_at = workflow.now() + TERM
            await workflow.execute_activity_method(
                DemoActivities.remind,
                Reminder(demo, opened.url, removal_at.isoformat()),
                start_to_close_timeout=timedelta(minutes=1),
                retry_policy=RETRY,
            )
            await self._announce(demo, "reminded", removal_at)
            outcome = await self._until(removal_at)
            if outcome == "converted":
                return await self._convert(demo)
            if outcome == "used":
                self._state = "active"
                await self._extend(demo)
                continue
            await workflow.execute_activity_method(
                DemoActivities.remove_demo,
                demo,
                start_to_close_timeout=timedelta(minutes=1),
                retry_policy=RETRY,
            )
            self._state = "removed"
            await self._announce(demo, "removed")
            return "removed"

    async def _until(self, deadline: datetime) -> str:
        """Wait for a sign-in after the last one seen, a conversion, or the deadline."""
        seen = self._used_at
        remaining = deadline - workflow.now()
        if remaining > timedelta(0):
            try:
                await workflow.wait_condition(
                    lambda: self._converted or self._used_at != seen, timeout=remaining
                )
            except TimeoutError:
                pass
        if self._converted:
            return "converted"
        if self._used_at != seen:
            return "used"
        return "expired"

    async def _extend(self, demo: Demo) -> None:
        assert self._used_at is not None
        self._expires_at = max(self._used_at, workflow.now()) + TERM
        await self._announce(demo, "extended", self._expires_at)

    async def _convert(self, demo: Demo) -> str:
        await workflow.execute_activity_method(
            DemoActivities.hand_over,
            demo,
            start_to_close_timeout=timedelta(minutes=1),
            retry_policy=RETRY,
        )
        self._state = "converted"
        await self._announce(demo, "converted")
        return "converted"

    async def _announce(
        self, demo: Demo, kind: str, until: datetime | None = None, url: str = ""
    ) -> None:
        await workflow.execute_activity_method(
            DemoActivities.announce,
            Announcement(
                demo,
                kind,
                workflow.now().isoformat(),
                until.isoformat() if until else "",
                url,
            ),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RETRY,
        )
