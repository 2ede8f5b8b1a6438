"""The demo lifecycle's 7 + 7 days, on Temporal's time-skipping test server: a demo left alone
is reminded after a week and removed a week later; each sign-in moves its end a week past it,
also after the reminder; a conversion ends it at any point without removing anything.

The activities here record what the workflow asks for, in its own (skipped) time; the real ones
are exercised against the platform in tests/e2e/test_demos.py."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from temporalio import activity
from temporalio.worker import Worker

from provisioning.demos.messages import Announcement, Demo, Opened, Reminder
from provisioning.demos.workflows import DemoLifecycleWorkflow, workflow_id

pytestmark = pytest.mark.integration
DAY = timedelta(days=1)


@dataclass
class Recorded:
    """What the workflow asked its activities to do, in order."""

    calls: list[str] = field(default_factory=list)
    announced: list[Announcement] = field(default_factory=list)
    reminders: list[Reminder] = field(default_factory=list)

    @activity.defn(name="open_demo")
    async def open_demo(self, demo: Demo) -> Opened:
        self.calls.append("open_demo")
        return Opened(url=f"http://{demo.slug}.localhost:8080")

    @activity.defn(name="remind")
    async def remind(self, reminder: Reminder) -> None:
        self.calls.append("remind")
        self.reminders.append(reminder)

    @activity.defn(name="remove_demo")
    async def remove_demo(self, demo: Demo) -> None:
        self.calls.append("remove_demo")

    @activity.defn(name="hand_over")
    async def hand_over(self, demo: Demo) -> None:
        self.calls.append("hand_over")

    @activity.defn(name="announce_demo")
    async def announce(self, announcement: Announcement) -> None:
        self.announced.append(announcement)

    def story(self) -> list[tuple[str, float, float | None]]:
        """(kind, day it happened, day it lives until) of each announcement, from day 0."""
        start = datetime.fromisoformat(self.announced[0].at)

        def day(iso: str) -> float:
            return round((datetime.fromisoformat(iso) - start) / DAY, 2)

        return [(a.kind, day(a.at), day(a.until) if a.until else None) for a in self.announced]


async def start(env, recorded: Recorded):
    queue = f"demos-{uuid.uuid4().hex[:8]}"
    demo = Demo(
        demo_id=str(uuid.uuid4()),
        slug="demo-bay-fiber",
        company_name="Bay Fiber",
        prospect_name="Dana",
        prospect_email="dana@bayfiber.example",
        scenario="small",
        tier="basic",
    )
    worker = Worker(
        env.client,
        task_queue=queue,
        workflows=[DemoLifecycleWorkflow],
        activities=[
            recorded.open_demo,
            recorded.remind,
            recorded.remove_demo,
            recorded.hand_over,
            recorded.announce,
        ],
    )
    handle = await env.client.start_workflow(
        DemoLifecycleWorkflow.run, demo, id=workflow_id(demo.demo_id), task_queue=queue
    )
    return worker, handle


async def test_a_demo_nobody_uses_is_reminded_after_a_week_and_removed_a_week_later(env):
    recorded = Recorded()
    worker, handle = await start(env, recorded)
    async with worker:
        assert await handle.result() == "removed"
    assert recorded.calls == ["open_demo", "remind", "remove_demo"]
    assert recorded.story() == [
        ("opened", 0, 7),
        ("reminded", 7, 14),
        ("removed", 14, None),
    ]
    [reminder] = recorded.reminders
    assert reminder.url == "http://demo-bay-fiber.localhost:8080"
    assert reminder.demo.prospect_email == "dana@bayfiber.example"


async def test_each_sign_in_keeps_the_demo_a_week_past_it_even_after_the_reminder(env):
    recorded = Recorded()
    worker, handle = await start(env, recorded)
    async with worker:
        await env.sleep(5 * DAY)  # signed in on day 5: lives until day 12
        await handle.signal(DemoLifecycleWorkflow.used, (await env.get_current_time()).isoformat())
        await env.sleep(2 * DAY)
        assert await handle.query(DemoLifecycleWorkflow.state) == "active"
        await env.sleep(6 * DAY)  # day 13: unused since day 5, so reminded on day 12
        assert await handle.query(DemoLifecycleWorkflow.state) == "expiring"
        await env.sleep(2 * DAY)  # signed in on day 15, before its removal on day 19
        await handle.signal(DemoLifecycleWorkflow.used, (await env.get_current_time()).isoformat())
        await env.sleep(1 * DAY)
        assert await handle.query(DemoLifecycleWorkflow.state) == "active"
        assert await handle.result() == "removed"  # left alone again: reminded 22, removed 29
    assert recorded.calls == ["open_demo", "remind", "remind", "remove_demo"]
    assert recorded.story() == [
        ("opened", 0, 7),
        ("extended", 5, 12),
        ("reminded", 12, 19),
        ("extended", 15, 22),
        ("reminded", 22, 29),
        ("removed", 29, None),
    ]


async def test_a_sign_in_older_than_the_last_one_changes_nothing(env):
    recorded = Recorded()
    worker, handle = await start(env, recorded)
    async with worker:
        await env.sleep(3 * DAY)
        now = await env.get_current_time()
        await handle.signal(DemoLifecycleWorkflow.used, now.isoformat())
        await handle.signal(DemoLifecycleWorkflow.used, (now - 2 * DAY).isoformat())  # late
        await env.sleep(1 * DAY)
        await handle.signal(DemoLifecycleWorkflow.converted)
        assert await handle.result() == "converted"
    assert recorded.story()[:2] == [("opened", 0, 7), ("extended", 3, 10)]


async def test_a_conversion_hands_the_demo_over_and_removes_nothing(env):
    recorded = Recorded()
    worker, handle = await start(env, recorded)
    async with worker:
        await env.sleep(9 * DAY)  # reminded on day 7
        assert await handle.query(DemoLifecycleWorkflow.state) == "expiring"
        await handle.signal(DemoLifecycleWorkflow.converted)
        assert await handle.result() == "converted"
        assert await handle.query(DemoLifecycleWorkflow.state) == "converted"
    assert recorded.calls == ["open_demo", "remind", "hand_over"]
    assert [kind for kind, _, _ in recorded.story()] == ["opened", "reminded", "converted"]
