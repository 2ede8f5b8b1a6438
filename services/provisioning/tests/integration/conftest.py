from collections.abc import AsyncIterator, Iterator

import pytest
from temporalio.testing import WorkflowEnvironment

from devstack.components import FakeDigitalOcean, temporal_test_server_path
from devstack.ports import free_port

DIGITALOCEAN_TOKEN = "integration-token"


@pytest.fixture(scope="session")
def fake_digitalocean(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeDigitalOcean]:
    """The fake of DigitalOcean's API, accepting DIGITALOCEAN_TOKEN alone."""
    log = tmp_path_factory.mktemp("digitalocean") / "fake-digitalocean.log"
    fake = FakeDigitalOcean(free_port(), log, token=DIGITALOCEAN_TOKEN)
    fake.start()
    fake.wait_ready()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """Temporal's time-skipping test server: workflow timers of days pass in moments."""
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(temporal_test_server_path())
    )
    yield environment
    await environment.shutdown()
