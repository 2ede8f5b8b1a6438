"""`make up TRACES=1`: Phoenix joins the stack's infrastructure on loopback, every service sends
its spans to it, and a later `down` finds it; without the flag nothing of it is there."""

from pathlib import Path

from devstack.phoenix import Phoenix
from devstack.stack import Stack, StatePaths
from devstack.wiring import Ports


def test_traces_start_phoenix_on_loopback_and_point_every_service_at_it(tmp_path: Path):
    ports = Ports.free()
    stack = Stack(ports, StatePaths(tmp_path, None), out=lambda _: None, traces=True)
    assert isinstance(stack.phoenix, Phoenix) and stack.phoenix in stack.infrastructure
    env = stack.phoenix.environment()
    assert env["PHOENIX_HOST"] == "127.0.0.1"
    assert env["PHOENIX_PORT"] == str(ports.traces)
    assert env["PHOENIX_GRPC_PORT"] == str(ports.traces_grpc)
    assert stack.phoenix.ports() == [ports.traces, ports.traces_grpc]
    for name, process in stack.services.items():
        assert process.env["DOTMAC_OTLP_ENDPOINT"] == f"http://127.0.0.1:{ports.traces}", name


def test_without_traces_there_is_no_phoenix_unless_one_was_left_running(tmp_path: Path):
    ports = Ports.free()
    state = StatePaths(tmp_path, None)
    plain = Stack(ports, state, out=lambda _: None)
    assert plain.phoenix is None
    assert all("DOTMAC_OTLP_ENDPOINT" not in p.env for p in plain.services.values())
    state.pid_file("phoenix").parent.mkdir(parents=True, exist_ok=True)
    state.pid_file("phoenix").write_text("12345\n")
    assert Stack(ports, state, out=lambda _: None).phoenix is not None  # `down` stops it


def test_the_launcher_moves_phoenixs_grpc_receiver_to_loopback():
    from devstack.phoenix import LAUNCHER

    compile(LAUNCHER, "devstack_phoenix_launcher.py", "exec")
    assert 'address.replace("[::]", "127.0.0.1")' in LAUNCHER
