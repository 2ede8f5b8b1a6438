"""The webhooks service run in this process (API, fan-out and dispatcher) on the session's
Postgres and NATS, real receivers on loopback that answer as told, and a way to publish the
platform's events as their services would."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiohttp import web

from dotmac_contracts import Event, encode_event
from dotmac_contracts.events import IspRegistered
from dotmac_contracts.vocabulary import BillingPeriod, Region, Tier
from servicekit.bus import connect
from servicekit.config import PlatformSettings
from servicekit.testing import on_a_socket as serve_on_a_socket
from servicekit.testing import running
from webhooks.bootstrap import bootstrap
from webhooks.config import Settings
from webhooks.entrypoints import api, deliver, stream

OPERATOR = {"Authorization": "Bearer webhooks-test-operator-token"}
SCHEDULE = [0.0, 0.3, 0.6, 1.0]
"""The tests' retry schedule: Svix's shape, in fractions of a second."""


@pytest.fixture(scope="module")
async def webhooks_api(
    migrated_database: str, nats_server: Any
) -> AsyncIterator[httpx.AsyncClient]:
    platform = PlatformSettings(
        database_url=migrated_database,
        nats_url=nats_server.url,
        operator_token="webhooks-test-operator-token",
        smtp_port=9,  # nothing listens: queued mail keeps its body for the tests to read
    )
    settings = Settings(
        platform=platform,
        retry_schedule_s=SCHEDULE,
        retry_jitter=0.0,
        timeout_s=1.0,
        in_flight_per_endpoint=4,
    )
    webhooks = bootstrap(settings)
    roles = [api.role(webhooks), stream.role(webhooks), deliver.role(webhooks)]
    async with running(webhooks.runtime, roles) as app:
        await caught_up(webhooks.runtime)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://webhooks") as client:
            client.webhooks = webhooks  # type: ignore[attr-defined]
            client.app = app  # type: ignore[attr-defined]  # to serve on a socket (streams)
            yield client


@pytest.fixture
async def on_a_socket(webhooks_api: httpx.AsyncClient) -> AsyncIterator[str]:
    """The webhooks API served by uvicorn on a loopback port (event streams need a server)."""
    async with serve_on_a_socket(webhooks_api.app) as url:  # type: ignore[attr-defined]
        yield url


async def caught_up(runtime: Any, timeout_s: float = 60.0) -> None:
    """Until the fan-out has taken every event the session published before it started (its
    durables read each stream from the start), so a test's endpoints get its own events."""
    from servicekit.stream import durable_name

    durables = [(stream.name, durable_name("webhooks", stream.name)) for stream in set(_streams())]
    async with asyncio.timeout(timeout_s):
        while True:
            waiting = 0
            for stream_name, durable in durables:
                try:
                    info = await runtime.js.consumer_info(stream_name, durable)
                except Exception:  # this stream's durable is not there yet
                    waiting += 1
                    continue
                waiting += (info.num_pending or 0) + (info.num_ack_pending or 0)
            if not waiting:
                return
            await asyncio.sleep(0.1)


def _streams() -> list[Any]:
    from dotmac_contracts import stream_for_subject
    from dotmac_contracts.public import BY_SUBJECT

    return [stream_for_subject(subject) for subject in BY_SUBJECT]


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """An HTTP endpoint on loopback that answers each delivery as `answers` says: a status,
    or ("slow", seconds), in turn; the last answer repeats."""

    answers: list[Any] = field(default_factory=lambda: [200])
    received: list[Received] = field(default_factory=list)
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        answer = self.answers[min(len(self.received), len(self.answers) - 1)]
        self.received.append(
            Received(
                {k.lower(): v for k, v in request.headers.items()},
                body,
                asyncio.get_running_loop().time(),
            )
        )
        self.arrived.set()
        if isinstance(answer, tuple):
            await asyncio.sleep(answer[1])
            answer = 200
        return web.Response(status=answer, text=f"answered {answer}", headers=self.headers)

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        async with asyncio.timeout(timeout):
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.received


@pytest.fixture
async def receiver() -> AsyncIterator[Callable[..., Awaitable[Receiver]]]:
    runners: list[web.AppRunner] = []

    async def start(*answers: Any, headers: dict[str, str] | None = None) -> Receiver:
        target = Receiver(answers=list(answers) or [200], headers=headers or {})
        app = web.Application()
        app.router.add_post("/hook", target.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        target.url = f"http://127.0.0.1:{port}/hook"
        runners.append(runner)
        return target

    yield start
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
def publish(nats_server: Any) -> Callable[..., Awaitable[None]]:
    """Publish events to JetStream as their services would, each under a new event id (or
    the one given, to redeliver)."""

    async def send(*events: Event, event_id: str | None = None) -> None:
        nc = await connect(nats_server.url, name="webhooks-test")
        for event in events:
            envelope = encode_event(
                event, event_id=event_id or str(uuid.uuid4()), source="test", time=datetime.now(UTC)
            )
            await nc.jetstream().publish(event.subject, envelope.data, headers=envelope.headers())
        await nc.close()

    return send


class Harness:
    OPERATOR = OPERATOR
    SCHEDULE = SCHEDULE

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    @staticmethod
    def registered(tier: Tier = Tier.BASIC) -> IspRegistered:
        isp_id = uuid.uuid4()
        return IspRegistered(
            isp_id=isp_id,
            deployment_id=uuid.uuid4(),
            slug=f"isp-{isp_id.hex[:8]}",
            company_name=f"ISP {isp_id.hex[:6]}",
            country="US",
            region=Region.US_EAST_1,
            tier=tier,
            billing_period=BillingPeriod.MONTHLY,
            domain=f"isp-{isp_id.hex[:8]}.example.net",
            primary_contact_name="Pat Owner",
            primary_contact_email=f"owner+{isp_id.hex[:12]}@example.net",
            expected_customers=100,
            payment_method="pm_card_visa" if tier != Tier.FREE else None,
            registered_at=datetime.now(UTC),
        )

    @staticmethod
    async def subscribe(
        api: httpx.AsyncClient,
        url: str,
        *types: str,
        headers: dict[str, str] = OPERATOR,
        prefix: str = "/api/v1/webhooks/operator",
        **extra: Any,
    ) -> dict[str, Any]:
        answer = await api.post(
            f"{prefix}/endpoints",
            json={"url": url, "event_types": list(types), **extra},
            headers=headers,
        )
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        return body

    @staticmethod
    async def attempts(
        api: httpx.AsyncClient,
        endpoint_id: str,
        count: int,
        *,
        headers: dict[str, str] = OPERATOR,
        prefix: str = "/api/v1/webhooks/operator",
        timeout: float = 10.0,
    ) -> list[dict[str, Any]]:
        """The endpoint's delivery log, oldest first, once it holds `count` attempts."""
        async with asyncio.timeout(timeout):
            while True:
                answer = await api.get(
                    f"{prefix}/endpoints/{endpoint_id}/attempts", headers=headers
                )
                assert answer.status_code == 200, answer.text
                found: list[dict[str, Any]] = answer.json()["attempts"]
                if len(found) >= count:
                    return list(reversed(found))
                await asyncio.sleep(0.05)


@pytest.fixture
def harness() -> type[Harness]:
    return Harness
