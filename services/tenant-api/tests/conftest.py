import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from servicekit.config import PlatformSettings
from servicekit.serving import Role as ServiceRole
from servicekit.testing import served
from tenant_api.bootstrap import TenantApi, bootstrap
from tenant_api.config import Settings
from tenant_api.entrypoints import stream
from tenant_api.entrypoints.api import create_app
from tenant_api.identity.auth.roles import Role
from tenant_api.identity.auth.service import create_user
from tenant_api.models import Entitlement, messaging


class TenantApiUnderTest:
    """tenant-api as a test sees it: its composition root (runtime, entitlements, tokens...)
    and its HTTP app (routes, OpenAPI document)."""

    def __init__(self, composed: TenantApi) -> None:
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


class BusinessIsp:
    """An ISP's tenant with a licence recorded and one person of each role signed in:
    `isp.as_(Role.SUPPORT)` are that person's headers."""

    def __init__(self, app: TenantApiUnderTest, client: httpx.AsyncClient) -> None:
        self.app, self.client = app, client
        self.id = uuid.uuid4()
        self.slug = f"biz-{self.id.hex[:10]}"
        self.host = {"Host": f"{self.slug}.localhost"}
        self.headers: dict[Role, dict[str, str]] = {}
        self.user_ids: dict[Role, uuid.UUID] = {}

    async def start(
        self,
        *,
        tier: str = "enterprise",
        plugins: tuple[str, ...] = ALL_PLUGINS,
        cap: int | None = None,
        isolation: str = "shared",
    ) -> "BusinessIsp":
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
        await self.app.entitlements.load(self.app.runtime.db, str(self.id))
        tokens = self.app.access_tokens
        for role in Role:  # signed in as the login route would (its own tests cover it)
            token = tokens.issue(
                user_id=self.user_ids[role], tenant_id=self.id, role=role, now=datetime.now(UTC)
            )
            self.headers[role] = {**self.host, "Authorization": f"Bearer {token}"}
        return self

    def as_(self, role: Role) -> dict[str, str]:
        return self.headers[role]

    async def published(self, subject: str) -> list[dict[str, Any]]:
        """The events of this ISP on `subject` its outbox holds, oldest first."""
        outbox = messaging.outbox
        async with self.app.runtime.db.unit_of_work() as session:
            rows = await session.execute(
                select(outbox.c.data)
                .where(outbox.c.subject == subject, outbox.c.ce_subject == str(self.id))
                .order_by(outbox.c.id)
            )
            return [json.loads(data) for data in rows.scalars()]

    @property
    def owner(self) -> dict[str, str]:

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


def _example_body(app: TenantApiUnderTest, method: str, path: str) -> dict[str, Any]:
    """Request arguments with the first example of the operation's body: a body that passes
    validation (JSON, or a file such as a CSV), so the probe reaches the lookup of the ids in
    the path."""
    if method not in ("POST", "PUT", "PATCH"):
        return {}
    document = app.openapi()
    operation = document["paths"][path][method.lower()]
    content = operation.get("requestBody", {}).get("content", {})
    if not content:
        return {"json": {}}
    media_type, body = next(iter(content.items()))
    if media_type != "application/json":
        return {"content": body["example"].encode(), "headers": {"Content-Type": media_type}}
    schema = body["schema"]
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    examples = schema.get("examples") or [{}]
    return {"json": examples[0]}


@pytest.fixture(scope="session")
def example_body() -> Callable[[TenantApiUnderTest, str, str], dict[str, Any]]:
    """`example_body(app, method, path)`: request arguments (`json`, or `content` and
    `headers`) carrying the first example of the operation's body from the OpenAPI document."""
    return _example_body
