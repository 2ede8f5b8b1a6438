from collections.abc import Iterator

import pytest

from devstack.components import FakeDigitalOcean
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
