"""The offboarding's grace period on Temporal's time-skipping server: the data is exported at
once, everything is destroyed when the grace period ends, and a retraction within it stops the
offboarding with nothing destroyed. (The real activities run end to end in
tests/e2e/test_offboarding.py.)"""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from temporalio import activity
from temporalio.worker import Worker

from provisioning.offboarding.messages import Exported, Milestone, Offboarding
from provisioning.offboarding.workflows import OffboardIspWorkflow, workflow_id

pytestmark = pytest.mark.integration
DAY = timedelta(days=1)


@dataclass
class Recorded:
    calls: list[str] = field(default_factory=list)
    milestones: list[Milestone] = field(default_factory=list)

    @activity.defn(name="export_data")
    async def export_data(self, offboarding: Offboarding) -> Exported:
        self.calls.append("export_data")
        return Exported("e-1", 1234, "ab" * 32, "http://isp.localhost/api/v1/tenant/exports/e-1")

    @activity.defn(name="destroy")
    async def destroy(self, offboarding: Offboarding) -> list[str]:
        self.calls.append("destroy")
        return ["dns", "tenant", "instance"]

    @activity.defn(name="announce_offboarding")
    async def announce(self, milestone: Milestone) -> None:
        self.milestones.append(milestone)


async def start(env, recorded: Recorded):
    queue = f"offboard-{uuid.uuid4().hex[:8]}"
    worker = Worker(
        env.client,
        task_queue=queue,
        workflows=[OffboardIspWorkflow],
        activities=[recorded.export_data, recorded.destroy, recorded.announce],
    )
    isp_id = str(uuid.uuid4())
    handle = await env.client.start_workflow(
        OffboardIspWorkflow.run,
        Offboarding(isp_id=isp_id, grace_s=(30 * DAY).total_seconds()),
        id=workflow_id(isp_id),
        task_queue=queue,
    )
    return worker, handle


async def test_the_data_is_exported_at_once_and_everything_destroyed_after_the_grace_period(env):
    recorded = Recorded()
    worker, handle = await start(env, recorded)
    async with worker:
        await env.sleep(29 * DAY)
        assert recorded.calls == ["export_data"]
        assert await handle.query(OffboardIspWorkflow.state) == "grace"
        assert await handle.result() == "deleted"
    assert recorded.calls == ["export_data", "destroy"]
    kinds = [m.kind for m in recorded.milestones]
    assert kinds == ["started", "exported", "completed"]
    started, exported, completed = recorded.milestones
    from datetime import datetime

    assert datetime.fromisoformat(started.until) - datetime.fromisoformat(started.at) == 30 * DAY
    assert datetime.fromisoformat(completed.at) - datetime.fromisoformat(started.at) >= 30 * DAY
    assert exported.export is not None and exported.export.export_id == "e-1"
    assert completed.destroyed == ("dns", "tenant", "instance")


async def test_a_retraction_within_the_grace_period_destroys_nothing(env):
    recorded = Recorded()
    worker, handle = await start(env, recorded)
    async with worker:
        await env.sleep(10 * DAY)
        await handle.signal(OffboardIspWorkflow.retracted)
        assert await handle.result() == "stopped"
    assert recorded.calls == ["export_data"]
    assert [m.kind for m in recorded.milestones] == ["started", "exported", "stopped"]
