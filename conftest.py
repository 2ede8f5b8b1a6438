"""Session-wide servers for integration and end-to-end tests.

Each is a real program (Postgres, NATS with JetStream, the Temporal dev server, Caddy,
localstripe) started on free ports with its data in the session's temp dir, so the suite never
touches the dev stack's ports or data. Unit tests request none of these fixtures and start
nothing.
"""

import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from devstack.components import LocalStripe, NatsServer, Postgres, TemporalDevServer
from devstack.ports import free_port, free_ports

SERVICE_MODULES = (
    "registration",
    "licensing",
    "provisioning",
    "billing",
    "network",
    "tenant_api",
    "webhooks",
    "webapp",
)
SEARCH_ATTRIBUTES = {
    "IspId": "Keyword",
    "Tier": "Keyword",
    "Region": "Keyword",
    "Provider": "Keyword",
}


def pytest_configure(config: pytest.Config) -> None:
    """A sealing key of the session's own, for every service built here or started by it
    (the platform has no default key)."""
    from cryptography.fernet import Fernet

    os.environ.setdefault("DOTMAC_DEVICE_SECRETS_KEYS", Fernet.generate_key().decode())


@pytest.fixture(scope="session")
def span_exporter() -> InMemorySpanExporter:
    """Every span finished in this test process. Installed before any service is built, so the
    services' `configure_tracing` keeps it."""
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postgres]:
    server = Postgres(free_port(), tmp_path_factory.mktemp("postgres"))
    server.start()
    server.wait_ready()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def migrated_database(postgres: Postgres) -> str:
    """The database URL, with every service's schema migrated to head (as `make up` does)."""
    env = {**os.environ, "DOTMAC_DATABASE_URL": postgres.url}
    for module in SERVICE_MODULES:
        result = subprocess.run(
            [sys.executable, "-m", module, "migrate"], env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, f"{module} migrate failed:\n{result.stderr[-3000:]}"
    return postgres.url


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    server = NatsServer(*free_ports(2), tmp_path_factory.mktemp("nats"))
    server.start()
    server.wait_ready()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def temporal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TemporalDevServer]:
    server = TemporalDevServer(
        port=free_port(),
        ui_port=free_port(),
        http_port=free_port(),
        metrics_port=free_port(),
        db_file=None,
        search_attributes=SEARCH_ATTRIBUTES,
        headless=True,
        log_path=Path(tmp_path_factory.mktemp("temporal")) / "temporal.log",
    )
    server.start()
    server.wait_ready()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def stripe_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStripe]:
    """localstripe, in memory: point stripe-python at ``stripe_server.url`` (or give a service
    ``stripe_server.client_environment()``); ``register_webhook`` has it deliver signed events.
    Shared by the session: its customers, webhooks... accumulate across tests."""
    server = LocalStripe(free_port(), tmp_path_factory.mktemp("localstripe") / "localstripe.log")
    server.start()
    server.wait_ready()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def schema_fuzz() -> object:
    """The schema fuzz run: `schema_fuzz(document, base_url, headers_for, examples)` sends
    schemathesis's generated requests, valid ones and deliberately invalid ones (wrong types,
    missing fields, out-of-range values, odd strings), for every operation of an OpenAPI
    document, and answers what it sent and the 5xx it got (each with a curl to repeat it).
    `headers_for(path)` gives each operation its credentials."""
    from collections import Counter
    from collections.abc import Callable
    from dataclasses import dataclass, field
    from typing import Any

    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.openapi import from_dict

    @dataclass
    class Run:
        sent: list[str] = field(default_factory=list)
        failures: list[str] = field(default_factory=list)
        statuses: Counter[int] = field(default_factory=Counter)

        def operation(
            self, operation: Any, mode: GenerationMode, base_url: str, headers: dict, n: int
        ) -> None:
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=n,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def call(case: Any) -> None:
                response = case.call(base_url=base_url, headers=headers, timeout=30)
                self.sent.append(operation.label)
                self.statuses[response.status_code] += 1
                if response.status_code >= 500:
                    self.failures.append(
                        f"{operation.label} ({mode.value}): {response.status_code} "
                        f"{response.text[:300]}\n  {case.as_curl_command(headers=headers)}"
                    )

            try:
                call()
            except Unsatisfiable:  # nothing in it to get wrong (no parameters, no body)
                assert mode == GenerationMode.NEGATIVE, operation.label

    def fuzz(
        document: dict[str, Any],
        base_url: str,
        headers_for: Callable[[str], dict[str, str]] = lambda path: {},
        examples: int = 15,
    ) -> Run:
        run = Run()
        for result in from_dict(document).get_all_operations():
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                run.operation(operation, mode, base_url, headers_for(operation.path), examples)
        return run

    return fuzz


# --- The ISP framework (tenant-api) in this process: for its own tests, and for the services
# whose routes ask it who a caller is (billing, webhooks). ---------------------------------


class TenantApiUnderTest:
    """tenant-api as a test sees it: its composition root (runtime, entitlements, tokens...)
    and its HTTP app (routes, OpenAPI document)."""

    def __init__(self, composed: Any) -> None:
        from tenant_api.entrypoints.api import create_app

        self.composed = composed
        self.api = create_app(composed)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.composed, name)

    def openapi(self) -> dict[str, Any]:
        return self.api.openapi()

    @property
    def routes(self) -> list[Any]:
        return self.api.routes

    def include_router(self, router: Any) -> None:
        self.api.include_router(router)


@pytest.fixture(scope="session")
def under_test() -> type[TenantApiUnderTest]:
    """For a test that runs tenant-api its own way (on a real port, say)."""
    return TenantApiUnderTest


StartTenantApi = Callable[
    ..., AbstractAsyncContextManager[tuple[TenantApiUnderTest, httpx.AsyncClient]]
]


@pytest.fixture(scope="session")
def start_tenant_api(migrated_database: str, nats_server: Any) -> StartTenantApi:
    """Run tenant-api in this process (api and stream roles: subscribers, relay, mail sender)
    on the session's Postgres and NATS, with `platform` settings overridden; yield it and a
    client."""

    @asynccontextmanager
    async def start(**platform: Any) -> AsyncIterator[tuple[TenantApiUnderTest, httpx.AsyncClient]]:
        from servicekit.config import PlatformSettings
        from servicekit.serving import Role as ServiceRole
        from servicekit.testing import served
        from tenant_api.bootstrap import bootstrap
        from tenant_api.config import Settings
        from tenant_api.entrypoints import stream

        settings = PlatformSettings(
            database_url=migrated_database, nats_url=nats_server.url, **platform
        )
        service = TenantApiUnderTest(bootstrap(Settings(platform=settings)))
        roles = [ServiceRole(app=service.api), stream.role(service.composed)]
        async with served(service.runtime, roles, base_url="http://tenant-api") as client:
            yield service, client

    return start


@pytest.fixture
def publish(nats_server: Any) -> Callable[..., Any]:
    """Publish events to JetStream as their owning service's relay would."""

    async def send(*events: Any, source: str = "licensing") -> None:
        from datetime import UTC, datetime

        from dotmac_contracts import encode_event
        from servicekit.bus import connect

        nc = await connect(nats_server.url, name="tenant-api-test")
        js = nc.jetstream()
        for event in events:
            envelope = encode_event(
                event, event_id=str(uuid.uuid4()), source=source, time=datetime.now(UTC)
            )
            await js.publish(event.subject, envelope.data, headers=envelope.headers())
        await nc.close()

    return send


ALL_PLUGINS = (
    "customer_management",
    "basic_billing",
    "user_auth",
    "automated_billing",
    "email_notifications",
    "basic_reporting",
    "network_monitoring",
    "advanced_reporting",
    "api_access",
    "snmp_integration",
    "advanced_automation",
    "custom_integrations",
    "white_label",
    "sla_management",
)
BUSINESS_TOKEN = "business-internal-token"


COUNTED = "dotmac.tenant.customers.counted.v2"


async def counted_events(session: Any) -> list[dict[str, Any]]:
    """Every `CustomersCounted` in tenant-api's outbox, oldest first."""
    from sqlalchemy import select

    from tenant_api.models import messaging

    outbox = messaging.outbox
    rows = await session.execute(
        select(outbox.c.data).where(outbox.c.subject == COUNTED).order_by(outbox.c.id)
    )
    return [json.loads(data) for data in rows.scalars()]


class BusinessIsp:
    """An ISP's tenant with a licence recorded and one person of each role signed in:
    `isp.as_(Role.SUPPORT)` are that person's headers."""

    def __init__(self, app: TenantApiUnderTest, client: httpx.AsyncClient) -> None:
        self.app, self.client = app, client
        self.id = uuid.uuid4()
        self.slug = f"biz-{self.id.hex[:10]}"
        self.host = {"Host": f"{self.slug}.localhost"}
        self.headers: dict[Any, dict[str, str]] = {}
        self.user_ids: dict[Any, uuid.UUID] = {}

    async def start(
        self,
        *,
        tier: str = "enterprise",
        plugins: tuple[str, ...] = ALL_PLUGINS,
        cap: int | None = None,
        isolation: str = "shared",
    ) -> "BusinessIsp":
        from tenant_api.identity.auth.roles import Role
        from tenant_api.identity.auth.service import create_user
        from tenant_api.models import Entitlement

        created = await self.client.put(
            f"/internal/v1/tenants/{self.id}",
            json={
                "slug": self.slug,
                "name": "Business ISP",
                "tier": tier,
                "host": self.host["Host"],
                "isolation": isolation,
            },
            headers={"Authorization": f"Bearer {BUSINESS_TOKEN}"},
        )
        assert created.status_code in (200, 201), created.text
        from tenant_api.tenancy.entitlements.store import announce

        now = datetime.now(UTC)
        async with self.app.runtime.db.unit_of_work(tenant=self.id) as session:
            for role in Role:
                user = await create_user(
                    session,
                    tenant_id=self.id,
                    email=f"{role.value}@{self.slug}.example",
                    name=f"{role.value.title()} Person",
                    role=role,
                    password=None,
                    now=now,
                )
                self.user_ids[role] = user.id
            session.add(
                Entitlement(
                    tenant_id=self.id,
                    licence_id=uuid.uuid4(),
                    tier=tier,
                    plugins=list(plugins),
                    customer_cap=cap,
                    api_rate_per_minute=1200,
                    issued_at=now,
                    expires_at=now + timedelta(days=365),
                    status="active",
                )
            )
            # As a licence's arrival does: every tenant-api of the session loads it, not only
            # this one. Another's invoice mailer (they claim every ISP's invoices) that never
            # heard of the licence would record the ISP's invoices as not to be mailed.
            await announce(session, str(self.id))
        await self.app.entitlements.load(self.app.runtime.db, str(self.id))
        tokens = self.app.access_tokens
        for role in Role:  # signed in as the login route would (its own tests cover it)
            token = tokens.issue(
                user_id=self.user_ids[role], tenant_id=self.id, role=role, now=datetime.now(UTC)
            )
            self.headers[role] = {**self.host, "Authorization": f"Bearer {token}"}
        return self

    def as_(self, role: Any) -> dict[str, str]:
        return self.headers[role]

    async def published(self, subject: str) -> list[dict[str, Any]]:
        """The events of this ISP on `subject` its outbox holds, oldest first."""
        from sqlalchemy import select

        from tenant_api.models import messaging

        outbox = messaging.outbox
        async with self.app.runtime.db.unit_of_work() as session:
            rows = await session.execute(
                select(outbox.c.data)
                .where(outbox.c.subject == subject, outbox.c.ce_subject == str(self.id))
                .order_by(outbox.c.id)
            )
            return [json.loads(data) for data in rows.scalars()]

    async def recorded_count(self) -> tuple[int, bool] | None:
        """This ISP's customer count as last recorded, and whether it is still to be announced
        (None: never recorded)."""
        from sqlalchemy import select

        from tenant_api.models import CustomerCountDue as Count

        async with self.app.runtime.db.unit_of_work() as session:
            row = (
                await session.execute(
                    select(Count.customers, Count.due).where(Count.tenant_id == self.id)
                )
            ).one_or_none()
        return None if row is None else (row.customers, row.due)

    async def announced_counts(self) -> list[int]:
        """This ISP's customer counts in the `CustomersCounted` its outbox holds, oldest
        first."""
        counts = []
        async with self.app.runtime.db.unit_of_work() as session:
            for event in await counted_events(session):
                counts += [c["customers"] for c in event["counts"] if c["isp_id"] == str(self.id)]
        return counts

    @property
    def owner(self) -> dict[str, str]:
        from tenant_api.identity.auth.roles import Role

        return self.headers[Role.OWNER]


@pytest.fixture(scope="module")
async def business_api(
    start_tenant_api: StartTenantApi,
) -> AsyncIterator[tuple[TenantApiUnderTest, httpx.AsyncClient]]:
    """One tenant-api for a module's business tests."""
    async with start_tenant_api(internal_token=BUSINESS_TOKEN, smtp_port=9) as (app, client):
        yield app, client


@pytest.fixture
def business_isp(business_api: tuple[TenantApiUnderTest, httpx.AsyncClient]) -> Callable[..., Any]:
    """Make ISPs: `await business_isp(tier=..., plugins=..., cap=...)`."""
    app, client = business_api

    async def make(**terms: Any) -> BusinessIsp:
        return await BusinessIsp(app, client).start(**terms)

    return make


@pytest.fixture
def isp_on() -> Callable[..., Any]:
    """Make an ISP on a tenant-api of the test's own: `await isp_on(app, client, **terms)`
    (that tenant-api's internal token must be `BUSINESS_TOKEN`)."""

    async def make(app: TenantApiUnderTest, client: httpx.AsyncClient, **terms: Any) -> BusinessIsp:
        return await BusinessIsp(app, client).start(**terms)

    return make


@pytest.fixture(scope="session")
def all_plugins() -> tuple[str, ...]:
    """Every plugin of the tier catalogue (an enterprise licence grants them all)."""
    return ALL_PLUGINS


@pytest.fixture(scope="session")
def business_token() -> str:
    return BUSINESS_TOKEN


# --- Browser tests: Debian's Chromium driven by Playwright (devstack.browser). Screenshots go
# to test-artifacts/screenshots/<test>/<step>.png, which CI keeps as artefacts. -----------------

SCREENSHOTS = Path(__file__).resolve().parent / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    """One headless Chromium for the session (a fresh context per test keeps tests apart).
    The first session on a clone unpacks Debian's chromium into .dotmac/tools (~15 s)."""
    import asyncio

    from playwright.async_api import async_playwright

    from devstack.browser import launch_options

    options = await asyncio.to_thread(launch_options)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(**options)
        yield launched
        await launched.close()


@pytest.fixture
async def new_page(browser: Any, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """Open pages in contexts of their own (no shared cookies), closed after the test:
    `await new_page(viewport=PHONE, base_url=...)` takes `browser.new_context`'s arguments.
    A test that fails leaves a `failed-<n>.png` of each page it opened beside its screenshots."""
    contexts: list[Any] = []

    async def open_page(**context: Any) -> Any:
        made = await browser.new_context(**{"viewport": DESKTOP, **context})
        contexts.append(made)
        return await made.new_page()

    for stale in _screenshot_dir(request.node.nodeid).glob("failed-*.png"):
        stale.unlink()
    failures_before = request.session.testsfailed
    yield open_page
    failed = request.session.testsfailed > failures_before
    for number, context in enumerate(contexts, start=1):
        if failed:
            for opened in context.pages:
                path = _screenshot_dir(request.node.nodeid) / f"failed-{number}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                try:
                    await opened.screenshot(path=str(path), full_page=True)
                except Exception:  # a page that crashed has nothing left to show
                    pass
        await context.close()


@pytest.fixture
async def page(new_page: Any) -> Any:
    """A desktop-sized page (1280x800)."""
    return await new_page()


@pytest.fixture
async def phone_page(new_page: Any) -> Any:
    """A phone-sized page (390x844, touch, mobile layout)."""
    return await new_page(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)


def _screenshot_dir(nodeid: str) -> Path:
    import re

    name = nodeid.replace(".py::", ".").replace("::", ".").replace("/", ".")
    return SCREENSHOTS / re.sub(r"[^\w.\[\]=-]+", "_", name)


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """`await screenshots(page, "after-login")` saves a full-page PNG as
    test-artifacts/screenshots/<test>/after-login.png and answers its path. The test's
    directory is emptied first, so it holds only this run's pictures."""
    import shutil

    directory = _screenshot_dir(request.node.nodeid)
    shutil.rmtree(directory, ignore_errors=True)

    async def take(page: Any, step: str) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{step}.png"
        await page.screenshot(path=str(path), full_page=True)
        return path

    return take
