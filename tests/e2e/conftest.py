"""The whole platform for end-to-end tests: every service as its own process, wired exactly as
`make up` wires them (the same devstack functions: tenant-api in two processes behind the
gateway, each process's pool sized as there), on free ports, behind a real Caddy gateway,
exporting its spans over OTLP to a receiver in this test process; and `faults`, which runs one
onboarding on a worker of the test's own with a failure injected at a step."""

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import nats
import pytest
import uvicorn
from aiohttp import web
from nats.aio.client import Client as Nats
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from temporalio.client import Client, WorkflowFailureError
from temporalio.worker import Worker

from devstack.components import (
    Caddy,
    FakeDigitalOcean,
    MailSink,
    MotoServer,
    NatsServer,
    Postgres,
    ServiceProcess,
    TemporalDevServer,
)
from devstack.ports import free_port, free_ports
from devstack.wiring import (
    PROCESSES,
    Ports,
    api_upstreams,
    gateway_routes,
    process_environment,
    service_environment,
)
from dotmac_contracts.vocabulary import DeploymentStep
from provisioning.clients.tenant_api import TenantApi
from provisioning.errors import ConfigurationError
from provisioning.models import Deployment, Instance, messaging
from provisioning.onboarding.activities import OnboardingActivities
from provisioning.onboarding.messages import Onboarding
from provisioning.onboarding.workflows import OnboardIspWorkflow
from provisioning.providers.base import InstanceInfo, Provider
from provisioning.providers.local import LocalProvider
from servicekit.config import PlatformSettings
from servicekit.runtime import Runtime

INTERNAL_TOKEN = "e2e-internal-token"
AWS_REGION = "eu-west-1"
"""Registrations in this region are placed on the aws provider (moto)."""
AWS_IMAGE = "ami-12c6146b"
DO_REGION = "eu-central-1"
"""Registrations in this region are placed on the digitalocean provider (the fake of its API);
in every other region, on local."""
DO_TOKEN = "dev-token"
STRIPE_WEBHOOK_SECRET = "whsec_e2e_billing"


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
    tenant_api_url: str
    temporal_address: str
    nats_url: str
    internal_token: str
    spans: OtlpReceiver
    mail: MailSink
    aws: MotoServer
    digitalocean: FakeDigitalOcean
    processes: dict[str, ServiceProcess]
    aws_region: str = AWS_REGION
    aws_image: str = AWS_IMAGE
    do_region: str = DO_REGION
    do_token: str = DO_TOKEN

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

    async def signed_in_owner(
        self, http: httpx.AsyncClient, name: str, *, tier: str, password: str
    ) -> "SignedInOwner":
        """An ISP onboarded through the gateway, its owner's first sign-in made from the
        welcome mail, and signed in."""
        import re

        body = self.registration(name, tier=tier)
        owner = f"owner-{uuid.uuid4().hex[:8]}@{body['domain']}"
        body["contacts"]["primary"] = {"name": "Owen", "email": owner}
        accepted = await http.post(
            f"{self.gateway_url}/api/v1/isp/register",
            json=body,
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert accepted.status_code == 202, accepted.text
        status_url = self.gateway_url + accepted.json()["status_url"]
        assert (await self.wait_for_state(http, status_url, {"active"}, 60))["state"] == "active"
        for _ in range(100):
            welcome = [m for m in self.mail.messages() if m["To"] == owner]
            if welcome:
                break
            await asyncio.sleep(0.1)
        code = re.search(r"^ {4}(\S+)\s*$", welcome[0].get_content(), re.MULTILINE).group(1)
        host = {"Host": f"{accepted.json()['slug']}.localhost"}
        chosen = await http.post(
            f"{self.gateway_url}/api/v1/auth/first-login",
            json={"token": code, "password": password},
            headers=host,
        )
        assert chosen.status_code == 200, chosen.text
        signed_in = await http.post(
            f"{self.gateway_url}/api/v1/auth/login",
            json={"email": owner, "password": password},
            headers=host,
        )
        assert signed_in.status_code == 200, signed_in.text
        tokens = signed_in.json()
        return SignedInOwner(
            isp_id=accepted.json()["isp_id"],
            email=owner,
            host=host,
            welcome_code=code,
            access_token=tokens["access_token"],
            refresh_token=tokens["refresh_token"],
        )


@dataclass(frozen=True)
class SignedInOwner:
    isp_id: str
    email: str
    host: dict[str, str]
    welcome_code: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {**self.host, "Authorization": f"Bearer {self.access_token}"}


@pytest.fixture(scope="session")
async def otlp() -> AsyncIterator[OtlpReceiver]:
    receiver = OtlpReceiver(free_port())
    await receiver.start()
    yield receiver
    await receiver.stop()


@pytest.fixture(scope="session")
def platform_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """The platform's own NATS: the services' integration tests publish on the session's
    shared server, and the platform's consumers must not act on those events (provisioning
    would start offboardings of tenants it never onboarded)."""
    server = NatsServer(*free_ports(2), tmp_path_factory.mktemp("platform-nats"))
    server.start()
    server.wait_ready()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def platform_processes(
    migrated_database: str,
    postgres: Postgres,
    platform_nats: NatsServer,
    temporal_server: TemporalDevServer,
    otlp: OtlpReceiver,
    stripe_server: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Platform]:
    free = Ports.free()
    ports = Ports(
        gateway=free.gateway,
        caddy_admin=free.caddy_admin,
        nats=platform_nats.port,
        temporal=temporal_server.port,
        postgres=postgres.port,
        smtp=free.smtp,
        services=free.services,
    )
    logs = tmp_path_factory.mktemp("logs")
    mail = MailSink(ports.smtp, Path(logs) / "mail")
    aws = MotoServer(free_port(), Path(logs) / "moto.log")
    digitalocean = FakeDigitalOcean(free_port(), Path(logs) / "digitalocean.log", DO_TOKEN)
    env = {
        **aws.client_environment(),
        **digitalocean.client_environment(),
        **stripe_server.client_environment(),
        "BILLING_STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
        "PROVISIONING_AWS_IMAGE_ID": AWS_IMAGE,
        "PROVISIONING_AWS_BOOT_WAIT_S": "5",
        "PROVISIONING_DIGITALOCEAN_TOKEN": DO_TOKEN,
        "PROVISIONING_DIGITALOCEAN_BOOT_WAIT_S": "5",
        "PROVISIONING_OFFBOARDING_GRACE_S": "3",
        "REGISTRATION_PLACEMENTS": json.dumps({AWS_REGION: "aws", DO_REGION: "digitalocean"}),
        **service_environment(ports),
        "DOTMAC_DATABASE_URL": migrated_database,
        "DOTMAC_OTLP_ENDPOINT": otlp.endpoint,
        "DOTMAC_INTERNAL_TOKEN": INTERNAL_TOKEN,
        "DOTMAC_DEVICE_SECRETS_KEYS": os.environ["DOTMAC_DEVICE_SECRETS_KEYS"],
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "DOTMAC_FAULT_ROUTE": "true",  # GET /api/v1/<service>/_fault fails (test_error_paths)
        "LICENSING_SIGNING_KEY_FILE": str(logs / "licensing-signing-key.pem"),
    }
    started: list = [mail, aws, digitalocean]
    processes: dict[str, ServiceProcess] = {}
    mail.start()
    aws.start()
    digitalocean.start()
    try:
        for service in PROCESSES:  # tenant-api's replica too, as on the dev stack
            # Each process's pool as the dev stack sizes it: 150 connections in all.
            process = ServiceProcess(
                service.name,
                [sys.executable, *service.command],
                process_environment(service, ports, {**env, **service.pool_environment}),
                f"http://127.0.0.1:{ports.service(service.name)}/healthz",
                logs,
            )
            process.start()
            started.append(process)
            processes[service.name] = process
        for process in started:
            process.wait_ready(timeout=60)
        stripe_server.register_webhook(
            "dotmac-e2e-billing",
            f"http://127.0.0.1:{ports.service('billing')}/api/v1/billing/stripe/webhook",
            STRIPE_WEBHOOK_SECRET,
        )
        gateway = Caddy(
            ports.gateway,
            ports.caddy_admin,
            gateway_routes(ports),
            Path(logs) / "caddy",
            tenant_api=api_upstreams(ports, "tenant-api"),
            web_app=f"127.0.0.1:{ports.service('webapp')}",
        )
        gateway.start()
        started.append(gateway)
        gateway.wait_ready()
        yield Platform(
            gateway_url=gateway.url,
            gateway_port=ports.gateway,
            tenant_api_url=f"http://127.0.0.1:{ports.service('tenant-api')}",
            temporal_address=temporal_server.address,
            nats_url=platform_nats.url,
            internal_token=INTERNAL_TOKEN,
            spans=otlp,
            mail=mail,
            aws=aws,
            digitalocean=digitalocean,
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
    idempotent requests. A request that meets a connection as the server closes it (the
    gateway restarting, an upstream going away) is lost without having reached anyone."""

    SAFE = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}
    KEYED = {"/api/v1/isp/register"}
    """POSTs that honour an Idempotency-Key: one without gets its own, as a careful client
    sends, so that it too survives a dropped connection (a registration the first attempt
    made is then answered again, not made twice)."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path in self.KEYED and "idempotency-key" not in request.headers:
            request.headers["Idempotency-Key"] = str(uuid.uuid4())
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


# --- A failure at a step, on a worker of the test's own -----------------------------------------


class InjectedFailure(ConfigurationError):
    pass


class FailAt:
    """A real provider, made to fail once its work in `step` is done (so the failed step
    leaves its own resources behind for the compensation to find)."""

    def __init__(self, real: Provider, step: str) -> None:
        self.real = real
        self.step = step
        self.name = real.name

    def _fail(self, step: DeploymentStep) -> None:
        if self.step == step.value:
            raise InjectedFailure(f"injected failure after {step.value}")

    async def provision(self, onboarding: Onboarding) -> InstanceInfo:
        info = await self.real.provision(onboarding)
        self._fail(DeploymentStep.PROVISIONING)
        return info

    async def deploy(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        detail = await self.real.deploy(onboarding, instance)
        self._fail(DeploymentStep.DEPLOYING)
        return detail

    async def configure(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        detail = await self.real.configure(onboarding, instance)
        self._fail(DeploymentStep.CONFIGURING)
        return detail

    async def validate(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        detail = await self.real.validate(onboarding, instance)
        self._fail(DeploymentStep.VALIDATING)
        return detail

    async def unconfigure(self, onboarding: Onboarding) -> None:
        await self.real.unconfigure(onboarding)

    async def deprovision(self, onboarding: Onboarding) -> None:
        await self.real.deprovision(onboarding)


class FailingTenants(TenantApi):
    """tenant-api, made to fail once the tenant exists (initializing), or before it opens
    (welcoming: a welcome email cannot be unsent, so that failure comes before it)."""

    def __init__(self, real: TenantApi, step: str) -> None:
        self.__dict__.update(real.__dict__)
        self._step = step

    async def put_tenant(self, tenant_id: UUID, **fields: Any) -> None:
        await super().put_tenant(tenant_id, **fields)
        if self._step == DeploymentStep.INITIALIZING.value:
            raise InjectedFailure("injected failure after initializing")

    async def activate(self, tenant_id: UUID) -> None:
        if self._step == DeploymentStep.WELCOMING.value:
            raise InjectedFailure("injected failure before welcoming")
        await super().activate(tenant_id)


@dataclass
class Faults:
    """Onboards one ISP on a worker of the test's own, its provider and tenant-api made to fail
    at a step, and checks that the rollback left nothing of it in the platform itself: no
    tenant, no host answering through the gateway, no records in provisioning. What the
    provider made in its cloud is the calling test's to check."""

    platform: Platform
    postgres: Postgres
    database_url: str

    @staticmethod
    def onboarding(*, provider: str, region: str) -> Onboarding:
        isp_id, suffix = str(uuid.uuid4()), uuid.uuid4().hex[:8]
        return Onboarding(
            isp_id=isp_id,
            deployment_id=str(uuid.uuid4()),
            slug=f"fault-{suffix}",
            company_name=f"Fault {suffix}",
            tier="basic",
            region=region,
            provider=provider,
            domain=f"fault-{suffix}.example",
            contact_email=f"owner@fault-{suffix}.example",
            contact_name="Owner",
        )

    async def fail_at(
        self, step: str, onboarding: Onboarding, provider: Callable[[LocalProvider], Provider]
    ) -> None:
        """Onboard with the provider `provider(serving)` builds made to fail at `step`."""
        platform = self.platform
        runtime = Runtime(
            name="provisioning-faults",
            settings=PlatformSettings(database_url=self.database_url, nats_url=platform.nats_url),
            tables=messaging,
        )
        temporal = await Client.connect(platform.temporal_address)
        queue = f"faults-{uuid.uuid4().hex[:8]}"
        isp_id = onboarding.isp_id
        async with httpx.AsyncClient(timeout=10) as http:
            tenants = TenantApi(platform.tenant_api_url, platform.internal_token, http)
            serving = LocalProvider(
                tenants=tenants,
                http=http,
                gateway_url=platform.gateway_url,
                tenant_api_url=platform.tenant_api_url,
                base_domain="localhost",
            )
            activities = OnboardingActivities(
                db=runtime.db,
                outbox=runtime.outbox,
                providers={onboarding.provider: FailAt(provider(serving), step)},
                tenants=FailingTenants(tenants, step),
            )
            worker = Worker(
                temporal,
                task_queue=queue,
                workflows=[OnboardIspWorkflow],
                activities=activities.handlers(),
            )
            async with worker:
                handle = await temporal.start_workflow(
                    OnboardIspWorkflow.run, onboarding, id=f"onboard-{isp_id}", task_queue=queue
                )
                with pytest.raises(WorkflowFailureError) as failed:
                    await asyncio.wait_for(handle.result(), 60)
            assert f"onboarding failed at {step}" in str(failed.value.cause)
            assert "injected failure" in str(failed.value.cause)

            # Nothing is left in the gateway or in tenant-api: the host answers no more...
            gone = await http.get(
                f"{platform.gateway_url}/api/v1/tenant/health",
                headers={"Host": f"{onboarding.slug}.localhost"},
            )
            assert gone.status_code == 404
            tenants_db = create_async_engine(self.postgres.url)
            async with tenants_db.connect() as connection:
                left = await connection.scalar(
                    text("SELECT count(*) FROM tenant.tenants WHERE id = :id"), {"id": isp_id}
                )
            await tenants_db.dispose()
            assert left == 0
        # ...nor in provisioning's own records, which tell the story in its events.
        async with runtime.db.unit_of_work() as session:
            assert await session.get(Instance, UUID(isp_id)) is None
            deployment = await session.get(Deployment, UUID(onboarding.deployment_id))
            assert deployment is not None and deployment.state == "rolled_back"
            assert deployment.error is not None and "injected failure" in deployment.error
            subjects = (
                await session.execute(
                    select(messaging.outbox.c.subject).where(
                        messaging.outbox.c.ce_subject == isp_id
                    )
                )
            ).scalars()
            published = [s.rsplit(".", 2)[-2] for s in subjects]
        assert published[-2:] == ["failed", "rolled_back"]
        await runtime.db.dispose()


@pytest.fixture(scope="session")
def faults(platform: Platform, postgres: Postgres) -> Faults:
    """Fault injection on a database of the provisioning schema alone, so its deployments never
    reach the platform's relay (registration knows nothing of them)."""
    postgres.create_database("provisioning_faults")
    url = postgres.url.rsplit("/", 1)[0] + "/provisioning_faults"
    migrated = subprocess.run(
        [sys.executable, "-m", "provisioning", "migrate"],
        env={**os.environ, "DOTMAC_DATABASE_URL": url},
        capture_output=True,
        text=True,
    )
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    return Faults(platform, postgres, url)


class Inbox:
    """A webhook receiver on a free port of 127.0.0.1: what it was sent, as it arrives."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, dict[str, str]]] = []
        self.arrived = asyncio.Event()
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(
            (await request.read(), {k.lower(): v for k, v in request.headers.items()})
        )
        self.arrived.set()
        return web.Response(status=204)

    async def typed(self, type_: str, timeout: float = 30.0) -> tuple[dict[str, Any], Any]:
        async with asyncio.timeout(timeout):
            while True:
                for body, headers in self.received:
                    if json.loads(body)["type"] == type_:
                        return json.loads(body), (body, headers)
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture
async def inbox() -> Any:
    box = Inbox()
    app = web.Application()
    app.router.add_post("/hook", box.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    box.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/hook"  # type: ignore[union-attr]
    yield box
    await runner.cleanup()
