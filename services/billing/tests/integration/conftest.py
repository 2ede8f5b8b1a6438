"""Billing run in this process (its HTTP API and its subscribers) on the session's Postgres,
NATS and localstripe, and the ways its tests feed it events and sign Stripe's."""

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import stripe

from billing.bootstrap import bootstrap
from billing.config import Settings
from billing.entrypoints import api as api_entry
from billing.entrypoints import stream as stream_entry
from billing.entrypoints import worker as worker_entry
from dotmac_contracts import Event, encode_event
from dotmac_contracts.events import IspRegistered, LicenceIssued, TierCatalogPublished
from dotmac_contracts.events.licensing import TierTerms
from dotmac_contracts.vocabulary import BillingPeriod, Region, Tier
from servicekit.bus import connect
from servicekit.config import PlatformSettings
from servicekit.testing import served

INTERNAL = {"Authorization": "Bearer billing-test-internal-token"}
OPERATOR = {"Authorization": "Bearer billing-test-operator-token"}
WEBHOOK_SECRET = "whsec_billing_test"
PRICES = {Tier.FREE: 0, Tier.BASIC: 4900, Tier.PREMIUM: 14900, Tier.ENTERPRISE: 39900}
CAPS = {Tier.FREE: 100, Tier.BASIC: 1000, Tier.PREMIUM: 10000, Tier.ENTERPRISE: None}


@pytest.fixture(scope="module")
async def billing_api(
    migrated_database: str, nats_server: Any, stripe_server: Any, temporal_server: Any
) -> AsyncIterator[httpx.AsyncClient]:
    platform = PlatformSettings(
        database_url=migrated_database,
        nats_url=nats_server.url,
        internal_token="billing-test-internal-token",
        operator_token="billing-test-operator-token",
        temporal_address=f"127.0.0.1:{temporal_server.port}",
    )
    billing = bootstrap(
        Settings(
            platform=platform,
            stripe_api_base=stripe_server.url,
            stripe_api_key=stripe_server.SECRET_KEY,
            stripe_webhook_secret=WEBHOOK_SECRET,
        )
    )
    roles = [api_entry.role(billing), stream_entry.role(billing), worker_entry.role(billing)]
    async with served(billing.runtime, roles, base_url="http://billing") as client:
        client.temporal = await billing.temporal()  # type: ignore[attr-defined]
        client.billing = billing  # type: ignore[attr-defined]
        yield client


@pytest.fixture(scope="module")
async def isp_people(
    billing_api: httpx.AsyncClient, migrated_database: str, nats_server: Any
) -> AsyncIterator[Callable[..., Awaitable[dict[str, dict[str, str]]]]]:
    """The real ISP framework (tenant-api, in this process, on the session's Postgres) that
    billing asks whose sign-in a token is; `await isp_people(isp_id)` opens the ISP's tenant
    there and answers the headers of its signed-in owner and admin."""
    from servicekit.serving import Role as ServiceRole
    from servicekit.signins import SignIns
    from servicekit.testing import running
    from tenant_api.bootstrap import bootstrap as tenant_api_bootstrap
    from tenant_api.config import Settings as TenantApiSettings
    from tenant_api.entrypoints.api import create_app
    from tenant_api.identity.auth.roles import Role
    from tenant_api.identity.auth.service import create_user

    token = "billing-test-tenant-api-token"
    platform = PlatformSettings(
        database_url=migrated_database, nats_url=nats_server.url, internal_token=token
    )
    tenant_api = tenant_api_bootstrap(TenantApiSettings(platform=platform))
    roles = [ServiceRole(app=create_app(tenant_api))]
    async with running(tenant_api.runtime, roles) as app:
        transport = httpx.ASGITransport(app=app)
        billing = billing_api.billing  # type: ignore[attr-defined]
        billing.sign_ins = SignIns("http://tenant-api", transport=transport)
        async with httpx.AsyncClient(transport=transport, base_url="http://tenant-api") as http:

            async def people(isp_id: uuid.UUID) -> dict[str, dict[str, str]]:
                slug = f"isp-{isp_id.hex[:10]}"
                opened = await http.put(
                    f"/internal/v1/tenants/{isp_id}",
                    json={"slug": slug, "name": slug, "tier": "basic", "host": f"{slug}.localhost"},
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert opened.status_code in (200, 201), opened.text
                headers = {}
                async with tenant_api.runtime.db.unit_of_work(tenant=isp_id) as session:
                    for role in (Role.OWNER, Role.ADMIN):
                        user = await create_user(
                            session,
                            tenant_id=isp_id,
                            email=f"{role.value}@{slug}.example",
                            name=role.value,
                            role=role,
                            password=None,
                            now=now(),
                        )
                        signed = tenant_api.access_tokens.issue(
                            user_id=user.id, tenant_id=isp_id, role=role, now=now()
                        )
                        headers[role.value] = {"Authorization": f"Bearer {signed}"}
                return headers

            yield people


@pytest.fixture(scope="module")
async def announced(migrated_database: str) -> AsyncIterator[Callable[..., Awaitable[list[Any]]]]:
    """What billing staged for publishing about an ISP (its account moves unless another event
    type is named), oldest first, as event models."""
    from sqlalchemy import select
    from sqlalchemy.ext.asyncio import create_async_engine

    from billing.models import messaging
    from dotmac_contracts.events import BillingStatusChanged

    engine = create_async_engine(migrated_database)

    async def about(isp_id: uuid.UUID, kind: type[Event] = BillingStatusChanged) -> list[Any]:
        outbox = messaging.outbox
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(outbox.c.data)
                .where(outbox.c.ce_subject == str(isp_id), outbox.c.subject == kind.subject)
                .order_by(outbox.c.id)
            )
            return [kind.model_validate_json(row.data) for row in rows]

    yield about
    await engine.dispose()


@pytest.fixture(scope="module")
async def mails(migrated_database: str) -> AsyncIterator[Callable[..., Awaitable[list[str]]]]:
    """The subjects of the notices billing queued for an address, oldest first."""
    from sqlalchemy import select
    from sqlalchemy.ext.asyncio import create_async_engine

    from billing.models import mail_outbox

    engine = create_async_engine(migrated_database)

    async def to(address: str) -> list[str]:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(mail_outbox.c.subject)
                .where(mail_outbox.c.to_address == str(address))
                .order_by(mail_outbox.c.id)
            )
            return [row.subject for row in rows]

    yield to
    await engine.dispose()


@pytest.fixture(scope="module")
def stripe_client(stripe_server: Any) -> stripe.StripeClient:
    return stripe.StripeClient(
        stripe_server.SECRET_KEY,
        base_addresses={"api": stripe_server.url},
        http_client=stripe.HTTPXClient(),
    )


@pytest.fixture
def publish(nats_server: Any) -> Callable[..., Awaitable[None]]:
    """Publish events to JetStream as their services would, each under a new event id (or
    the one given, to redeliver)."""

    async def send(*events: Event, event_id: str | None = None) -> None:
        nc = await connect(nats_server.url, name="billing-test")
        for event in events:
            envelope = encode_event(
                event, event_id=event_id or str(uuid.uuid4()), source="test", time=now()
            )
            await nc.jetstream().publish(event.subject, envelope.data, headers=envelope.headers())
        await nc.close()

    return send


def now() -> datetime:
    return datetime.now(UTC)


def catalogue() -> TierCatalogPublished:
    return TierCatalogPublished(
        version=f"test-{uuid.uuid4().hex[:8]}",
        tiers=[
            TierTerms(
                name=tier,
                price_cents=cents,
                currency="USD",
                custom_pricing=tier == Tier.ENTERPRISE,
                customer_cap=CAPS[tier],
                plugins=[],
                support="email",
                api_access="none",
            )
            for tier, cents in PRICES.items()
        ],
        plugins={},
        published_at=now(),
    )


def registered(
    tier: Tier,
    period: BillingPeriod = BillingPeriod.MONTHLY,
    *,
    payment_method: str | None = "pm_card_visa",
) -> IspRegistered:
    """A sign-up; on a paid tier it brings Stripe's test card unless told otherwise."""
    isp_id = uuid.uuid4()
    return IspRegistered(
        isp_id=isp_id,
        deployment_id=uuid.uuid4(),
        slug=f"isp-{isp_id.hex[:8]}",
        company_name=f"ISP {isp_id.hex[:6]}",
        country="US",
        region=Region.US_EAST_1,
        tier=tier,
        billing_period=period,
        domain=f"isp-{isp_id.hex[:8]}.example.net",
        primary_contact_name="Pat Owner",
        primary_contact_email=f"billing+{isp_id.hex[:12]}@example.net",
        expected_customers=100,
        payment_method=payment_method if tier != Tier.FREE else None,
        registered_at=now(),
    )


def licence(isp_id: uuid.UUID, tier: Tier) -> LicenceIssued:
    return LicenceIssued(
        licence_id=uuid.uuid4(),
        isp_id=isp_id,
        tier=tier,
        plugins=[],
        customer_cap=None,
        issued_at=now(),
        expires_at=now() + timedelta(days=365),
        token="test-token",
    )


async def account(
    client: httpx.AsyncClient, isp_id: uuid.UUID, until: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The ISP's account once `until` holds for it (events take a moment to arrive)."""
    body: dict[str, Any] = {}
    for _ in range(200):
        response = await client.get(f"/internal/v1/billing/isps/{isp_id}", headers=INTERNAL)
        if response.status_code == 200:
            body = response.json()
            if until(body):
                return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"account of {isp_id} never got there: {body}")


def signed(
    payload: dict[str, Any], *, secret: str = WEBHOOK_SECRET, age_s: int = 0
) -> tuple[bytes, dict[str, str]]:
    """A webhook body and its headers, signed as Stripe signs them (`age_s` seconds ago)."""
    body = json.dumps(payload).encode()
    timestamp = int(time.time()) - age_s
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return body, {
        "Content-Type": "application/json",
        "Stripe-Signature": f"t={timestamp},v1={digest.hexdigest()}",
    }


def stripe_event(type_: str, obj: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": type_,
        "created": int(time.time()),
        "data": {"object": obj},
    }


async def dunning(temporal: Any, isp_id: uuid.UUID, until: Callable[[Any], bool]) -> Any:
    """The description of the ISP's dunning workflow once `until` holds for its status."""
    from billing.dunning.workflows import workflow_id

    handle = temporal.get_workflow_handle(workflow_id(str(isp_id)))
    for _ in range(200):
        try:
            description = await handle.describe()
            if until(description.status):
                return description
        except Exception:  # not started yet
            pass
        await asyncio.sleep(0.05)
    raise AssertionError(f"dunning of {isp_id} never got there")


class Harness:
    """The helpers above, for the tests (test modules cannot import the conftest)."""

    internal = INTERNAL
    operator = OPERATOR
    catalogue = staticmethod(catalogue)
    registered = staticmethod(registered)
    licence = staticmethod(licence)
    account = staticmethod(account)
    signed = staticmethod(signed)
    stripe_event = staticmethod(stripe_event)
    now = staticmethod(now)
    dunning = staticmethod(dunning)


@pytest.fixture
def harness() -> type[Harness]:
    return Harness


@pytest.fixture(scope="session")
async def env() -> AsyncIterator[Any]:
    """Temporal's time-skipping test server: the dunning timeline's weeks pass in moments."""
    from temporalio.testing import WorkflowEnvironment

    from devstack.components import temporal_test_server_path

    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(temporal_test_server_path())
    )
    yield environment
    await environment.shutdown()
