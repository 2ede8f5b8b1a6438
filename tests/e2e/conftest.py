"""The whole platform for end-to-end tests: every service as its own process, wired exactly as
`make up` wires them (the same devstack functions), on free ports, behind a real Caddy gateway,
exporting its spans over OTLP to a receiver in this test process."""

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import nats
import pytest
import uvicorn
from nats.aio.client import Client as Nats
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from devstack.components import (
    Caddy,
    MailSink,
    MotoServer,
    NatsServer,
    Postgres,
    ServiceProcess,
    TemporalDevServer,
)
from devstack.ports import free_port
from devstack.wiring import (
    SERVICES,
    Ports,
    gateway_routes,
    process_environment,
    service_environment,
)

INTERNAL_TOKEN = "e2e-internal-token"
AWS_REGION = "eu-west-1"
"""Registrations in this region are placed on the aws provider (moto); every other on local."""
AWS_IMAGE = "ami-12c6146b"


@dataclass(frozen=True)
class ReceivedSpan:
    service: str
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str


@dataclass
class OtlpReceiver:
    port: int
    spans: list[ReceivedSpan] = field(default_factory=list)
    _server: uvicorn.Server | None = None
    _task: asyncio.Task | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _export(self, request: Request) -> Response:
        message = ExportTraceServiceRequest()
        message.ParseFromString(await request.body())
        for resource_spans in message.resource_spans:
            service = next(
                (
                    a.value.string_value
                    for a in resource_spans.resource.attributes
                    if a.key == "service.name"
                ),
                "",
            )
            for scope in resource_spans.scope_spans:
                for span in scope.spans:
                    self.spans.append(
                        ReceivedSpan(
                            service,
                            span.name,
                            span.trace_id.hex(),
                            span.span_id.hex(),
                            span.parent_span_id.hex(),
                        )
                    )
        return Response(
            ExportTraceServiceResponse().SerializeToString(),
            media_type="application/x-protobuf",
        )

    async def start(self) -> None:
        app = Starlette(routes=[Route("/v1/traces", self._export, methods=["POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            await self._task

    def trace(self, trace_id: str) -> list[ReceivedSpan]:
        return [s for s in self.spans if s.trace_id == trace_id]


@dataclass
class Platform:
    gateway_url: str
    gateway_port: int
    caddy_admin_url: str
    tenant_api_url: str
    temporal_address: str
    nats_url: str
    internal_token: str
    spans: OtlpReceiver
    mail: MailSink
    aws: MotoServer
    processes: dict[str, ServiceProcess]
    aws_region: str = AWS_REGION
    aws_image: str = AWS_IMAGE

    @staticmethod
    def registration(name: str, **changes: object) -> dict:
        """A valid registration body for a company called `name` (made unique)."""
        tag = uuid.uuid4().hex[:8]
        return {
            "company": {
                "name": f"{name} {tag}",
                "registration_number": tag,
                "tax_id": "US-99",
                "country": "US",
            },
            "contacts": {
                "primary": {"name": "Ann", "email": "ann@acme.example", "phone": "+15550100"},
                "technical": {"name": "Tom", "email": "tom@acme.example"},
            },
            "service_area": "Springfield county",
            "expected_customers": 800,
            "region": "us-east-1",
            "tier": "basic",
            "billing_period": "monthly",
            "domain": f"{name.lower().replace(' ', '-')}-{tag}.example",
            **changes,
        }

    @staticmethod
    async def wait_for_state(
        http: httpx.AsyncClient, url: str, states: set[str], timeout: float = 30
    ) -> dict:
        """Poll a deployment's status URL until its state is one of `states`."""
        deadline = asyncio.get_running_loop().time() + timeout
        status: dict = {}
        while asyncio.get_running_loop().time() < deadline:
            status = (await http.get(url)).json()
            if status["state"] in states:
                return status
            await asyncio.sleep(0.1)
        raise AssertionError(f"never reached {states}; last status: {status}")

    async def nats(self) -> Nats:
        return await nats.connect(self.nats_url)


@pytest.fixture(scope="session")
async def otlp() -> AsyncIterator[OtlpReceiver]:
    receiver = OtlpReceiver(free_port())
    await receiver.start()
    yield receiver
    await receiver.stop()


@pytest.fixture(scope="session")
def platform_processes(
    migrated_database: str,
    postgres: Postgres,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    otlp: OtlpReceiver,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Platform]:
    free = Ports.free()
    ports = Ports(
        gateway=free.gateway,
        caddy_admin=free.caddy_admin,
        nats=nats_server.port,
        temporal=temporal_server.port,
        postgres=postgres.port,
        smtp=free.smtp,
        services=free.services,
    )
    logs = tmp_path_factory.mktemp("logs")
    mail = MailSink(ports.smtp, Path(logs) / "mail")
    aws = MotoServer(free_port(), Path(logs) / "moto.log")
    env = {
        **aws.client_environment(),
        "PROVISIONING_AWS_IMAGE_ID": AWS_IMAGE,
        "PROVISIONING_AWS_BOOT_WAIT_S": "5",
        "REGISTRATION_PLACEMENTS": f'{{"{AWS_REGION}": "aws"}}',
        **service_environment(ports),
        "DOTMAC_DATABASE_URL": migrated_database,
        "DOTMAC_OTLP_ENDPOINT": otlp.endpoint,
        "DOTMAC_INTERNAL_TOKEN": INTERNAL_TOKEN,
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "LICENSING_SIGNING_KEY_FILE": str(logs / "licensing-signing-key.pem"),
    }
    started: list = [mail, aws]
    processes: dict[str, ServiceProcess] = {}
    mail.start()
    aws.start()
    try:
        for service in SERVICES:
            process = ServiceProcess(
                service.name,
                [sys.executable, "-m", service.module, "serve"],
                process_environment(service, ports, env),
                f"http://127.0.0.1:{ports.service(service.name)}/healthz",
                logs,
            )
            process.start()
            started.append(process)
            processes[service.name] = process
        for process in started:
            process.wait_ready(timeout=60)
        gateway = Caddy(
            ports.gateway,
            ports.caddy_admin,
            gateway_routes(ports),
            Path(logs) / "caddy",
            tenant_api=f"127.0.0.1:{ports.service('tenant-api')}",
        )
        gateway.start()
        started.append(gateway)
        gateway.wait_ready()
        yield Platform(
            gateway_url=gateway.url,
            gateway_port=ports.gateway,
            caddy_admin_url=gateway.admin_url,
            tenant_api_url=f"http://127.0.0.1:{ports.service('tenant-api')}",
            temporal_address=temporal_server.address,
            nats_url=nats_server.url,
            internal_token=INTERNAL_TOKEN,
            spans=otlp,
            mail=mail,
            aws=aws,
            processes=processes,
        )
    finally:
        for process in reversed(started):
            process.stop()


@pytest.fixture(scope="session")
def platform(platform_processes: Platform) -> Platform:
    return platform_processes


class RetryingTransport(httpx.AsyncBaseTransport):
    """Resend a request the gateway dropped, when resending is safe: what browsers do for
    idempotent requests. Caddy reloads its whole config whenever onboarding adds or removes a
    tenant route, and a request arriving at that instant can lose its connection."""

    SAFE = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        retryable = request.method in self.SAFE or "idempotency-key" in request.headers
        for attempt in range(4):
            try:
                return await self._inner.handle_async_request(request)
            except (httpx.RemoteProtocolError, httpx.ConnectError, httpx.ReadError):
                if not retryable or attempt == 3:
                    raise
                await asyncio.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        await self._inner.aclose()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10.0, transport=RetryingTransport()) as client:
        yield client
