"""A service with several API processes on the dev stack (tenant-api: two): the extra ones serve
only its API, each on a port of its own, and the gateway spreads the API's requests over all."""

import http.server
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devstack.components import Caddy
from devstack.ports import free_port
from devstack.stack import Stack, StatePaths
from devstack.wiring import PROCESSES, SERVICES, Ports, api_upstreams


def test_tenant_apis_second_process_serves_only_its_api_on_a_port_of_its_own(tmp_path: Path):
    tenant_api = next(s for s in SERVICES if s.name == "tenant-api")
    first, second = tenant_api.processes
    assert first is tenant_api and first.roles == ("api", "stream")
    assert (second.name, second.module, second.roles) == ("tenant-api-2", "tenant_api", ("api",))
    assert not second.api, "a replica does not migrate: its service's first process does"
    assert second in PROCESSES and tenant_api.replicas == 2

    ports = Ports.free()
    stack = Stack(ports, StatePaths(tmp_path, None), out=lambda _: None)
    replica = stack.services["tenant-api-2"]
    assert replica.command()[-3:] == ["tenant_api", "serve", "api"]
    assert replica.env["TENANT_API_PORT"] == str(ports.service("tenant-api-2"))
    assert replica.port == ports.service("tenant-api-2") != ports.service("tenant-api")
    # The same settings as the first process, but for its port.
    same = {k: v for k, v in stack.services["tenant-api"].env.items() if k != "TENANT_API_PORT"}
    assert {k: v for k, v in replica.env.items() if k != "TENANT_API_PORT"} == same
    assert stack.caddy.tenant_api == api_upstreams(ports, "tenant-api")
    assert len(stack.caddy.tenant_api) == 2


def test_a_replicas_port_is_set_by_a_variable_named_after_it():
    ports = Ports.from_env({"TENANT_API_2_PORT": "9116"})
    assert ports.service("tenant-api-2") == 9116
    assert ports.variable_for(9116) == "TENANT_API_2_PORT"
    assert Ports.from_env({}).service("tenant-api-2") == 8116
    # The variables that were named before replicas keep their names.
    named = {s.name: s.port_variable for s in PROCESSES}
    assert named["provisioning-worker"] == "PROVISIONING_WORKER_PORT"
    assert named["tenant-api"] == "TENANT_API_PORT"


class _Named(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = self.server.name.encode()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def two_upstreams() -> Iterator[list[str]]:
    servers = []
    for name in ("first", "second"):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), _Named)
        server.name = name  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    yield [f"127.0.0.1:{s.server_address[1]}" for s in servers]
    for server in servers:
        server.shutdown()
        server.server_close()


def test_the_gateway_sends_an_isps_api_to_every_process_of_tenant_api(
    tmp_path: Path, two_upstreams: list[str]
):
    caddy = Caddy(free_port(), free_port(), [], tmp_path / "caddy", tenant_api=two_upstreams)
    caddy.start()
    try:
        caddy.wait_ready()
        answered: Counter[str] = Counter()
        with httpx.Client(base_url=caddy.url, timeout=5) as client:
            for n in range(40):
                host = {"Host": f"isp-{n % 3}.localhost"}
                response = client.get("/api/v1/customers", headers=host)
                assert response.status_code == 200
                answered[response.text] += 1
            # An API client naming its ISP by header on the platform's host: the same.
            named = client.get("/api/v1/customers", headers={"X-Tenant-ID": "x"})
            assert named.status_code == 200 and named.text in ("first", "second")
    finally:
        caddy.stop()
    assert set(answered) == {"first", "second"}, answered
