"""A component's process, as the dev stack spawns it: its priority."""

import sys
from pathlib import Path

import pytest

from devstack.process import Component


class Sleeper(Component):
    def command(self) -> list[str]:
        return [sys.executable, "-c", "import time; time.sleep(60)"]

    def probe(self) -> bool:
        return True


def niceness_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


@pytest.fixture
def spawn(tmp_path):
    started: list[Component] = []

    def spawn(niceness: int) -> Component:
        component = Sleeper(f"sleeper-{niceness}", tmp_path / f"sleeper-{niceness}.log")
        component.niceness = niceness
        component.start()
        started.append(component)
        return component

    yield spawn
    for component in started:
        component.stop()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_a_background_component_runs_below_the_others_and_its_session_too(spawn):
    background, ordinary = spawn(10), spawn(0)
    assert background.pid is not None and ordinary.pid is not None

    assert niceness_of(background.pid) == 10
    assert niceness_of(ordinary.pid) == 0
    # Each component is a session of its own; where Linux shares the cores between sessions
    # first, the session's own rank is what counts.
    group = Path(f"/proc/{background.pid}/autogroup")
    if group.exists():
        assert group.read_text().split()[-1] == "10"
        assert Path(f"/proc/{ordinary.pid}/autogroup").read_text().split()[-1] == "0"
