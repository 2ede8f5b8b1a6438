"""The dispatcher: takes due deliveries from Postgres, sends them, and records what happened.

- Durable: a delivery is a row; taking one moves its `next_attempt_at` a lease ahead, so a
  dispatcher that dies leaves it due again once the lease runs out, never lost. Its id is the
  message's (`webhook-id`), so a second sending is one a receiver can recognise.
- Fair: each endpoint has a lane of its own with at most `in_flight_per_endpoint` requests
  under way, and an endpoint whose lane is full is not given more, so a slow or dead endpoint
  holds its own backlog and nobody else's. Connection-refused and timeouts cost only its lane.
- Cheap: due deliveries are taken a batch at a time in one statement that returns what sending
  needs (the message body, the endpoint's version); results are written a batch at a time.
- Rate limited per endpoint, when its owner asks: a token bucket in front of its lane.

Only a 2xx answered within the timeout counts. 410 Gone disables the endpoint at once; 429 and
503 are retried no sooner than their `Retry-After`; anything else follows the schedule, and an
endpoint whose every attempt has failed for `disable_after_failing_s` is disabled and its owner
told by mail. Order per endpoint is best effort: deliveries are taken oldest first, but up to
`in_flight_per_endpoint` are under way at once and retries come back later.
"""

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import aiohttp
from sqlalchemy import bindparam, func, insert, select, text, update

from servicekit.db import Database, table_of
from servicekit.mail import Mailer
from servicekit.notify import listen_elsewhere
from servicekit.sealing import Sealer
from servicekit.tasks import cancel_and_wait, stop_if_asked
from webhooks.config import Settings
from webhooks.delivery.guard import RefusedTarget, resolver
from webhooks.delivery.schedule import delay_before, retry_after
from webhooks.delivery.signing import Signer
from webhooks.fanout.service import DELIVERIES_CHANNEL
from webhooks.metrics import (
    ATTEMPT_OUTCOMES,
    ATTEMPT_SECONDS,
    ENDPOINTS_DISABLED,
    EVENT_TO_DELIVERY_SECONDS,
)
from webhooks.models import Attempt, Delivery, Endpoint, IspContact

log = logging.getLogger(__name__)

USER_AGENT = "DotMac-Webhooks/1"
EXCERPT_BYTES = 1024
WAKE_CHANNEL = DELIVERIES_CHANNEL
"""NOTIFYed only when deliveries were made (not at every message): a hurry, never needed for
correctness, since an idle dispatcher looks every `IDLE_POLL_S` anyway."""
IDLE_POLL_S = 1.0
"""How often an idle dispatcher looks for retries that have come due (and for new deliveries
whose wake it missed)."""

ATTEMPTS = table_of(Attempt)
DELIVERY_TABLE = table_of(Delivery)
ENDPOINTS = table_of(Endpoint)

CLAIM = text(
    """
    WITH picked AS (
        SELECT d.id
        FROM webhooks.endpoints e
        CROSS JOIN LATERAL (
            SELECT id FROM webhooks.deliveries
            WHERE endpoint_id = e.id AND state = 'pending' AND next_attempt_at <= now()
            ORDER BY next_attempt_at
            LIMIT :per_endpoint
            FOR UPDATE SKIP LOCKED
        ) d
        WHERE e.disabled_at IS NULL
          AND NOT (e.id = ANY(CAST(:busy AS uuid[])))
          AND e.id IN (
              SELECT endpoint_id FROM webhooks.deliveries
              WHERE state = 'pending' AND next_attempt_at <= now()
          )
        LIMIT :batch
    )
    UPDATE webhooks.deliveries d
    SET next_attempt_at = now() + make_interval(secs => :lease_s)
    FROM picked, webhooks.messages m, webhooks.endpoints e
    WHERE d.id = picked.id AND m.seq = d.message_seq AND e.id = d.endpoint_id
    RETURNING d.id, d.endpoint_id, d.attempts, d.step, d.message_seq,
              m.id AS message_id, m.body, m.occurred_at, e.updated_at AS endpoint_version
    """
)


@dataclass(frozen=True)
class Due:
    delivery_id: int
    endpoint_id: UUID
    attempts: int
    step: int
    message_seq: int
    message_id: str
    body: bytes
    occurred_at: datetime


@dataclass
class Result:
    due: Due
    attempted_at: datetime
    outcome: str
    status: int | None
    latency_s: float
    excerpt: str | None
    error: str | None
    retry_after_s: float | None

    @property
    def succeeded(self) -> bool:
        return self.outcome == "succeeded"


class TokenBucket:
    def __init__(self, per_s: int) -> None:
        self.per_s = per_s
        self._tokens = float(per_s)
        self._at = time.monotonic()

    async def take(self) -> None:
        while True:
            now = time.monotonic()
            self._tokens = min(float(self.per_s), self._tokens + (now - self._at) * self.per_s)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return
            await asyncio.sleep((1 - self._tokens) / self.per_s)


@dataclass
class Lane:
    """One endpoint as the dispatcher knows it, and its deliveries waiting to be sent."""

    id: UUID
    tenant_id: UUID | None
    url: str
    version: datetime
    signer: Signer
    failing_since: datetime | None
    bucket: TokenBucket | None
    queue: asyncio.Queue[Due] = field(default_factory=asyncio.Queue)
    in_flight: int = 0
    workers: list[asyncio.Task[None]] = field(default_factory=list)
    disabled: bool = False

    @property
    def backlog(self) -> int:
        return self.queue.qsize() + self.in_flight


class Dispatcher:
    def __init__(
        self, db: Database, settings: Settings, sealer: Sealer, mailer: Mailer | None = None
    ) -> None:
        self._db = db
        self._settings = settings
        self._sealer = sealer
        self._mailer = mailer
        self._lanes: dict[UUID, Lane] = {}
        self._wake = asyncio.Event()
        self._results: asyncio.Queue[Result] = asyncio.Queue()
        self._http: aiohttp.ClientSession | None = None
        per_endpoint = 2 * settings.in_flight_per_endpoint
        self._per_endpoint = per_endpoint
        # Long enough for a full lane to drain through its timeouts before anyone retakes it.
        self._lease_s = (per_endpoint / settings.in_flight_per_endpoint + 2) * settings.timeout_s
        self._lease_s += 30.0

    def wake(self) -> None:
        """Look for due deliveries now (new deliveries committed in this process)."""
        self._wake.set()

    async def run(self) -> None:
        connector = aiohttp.TCPConnector(
            limit=0,  # lanes bound what is under way, per endpoint
            limit_per_host=0,
            resolver=resolver(production=self._settings.production),
            ttl_dns_cache=60,
            enable_cleanup_closed=True,
        )
        self._http = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self._settings.timeout_s),
            auto_decompress=False,
            skip_auto_headers=("Accept-Encoding",),
        )
        tasks = [
            asyncio.create_task(self._record_results(), name="webhooks:record"),
            asyncio.create_task(
                listen_elsewhere(self._db, WAKE_CHANNEL, lambda _: self._wake.set()),
                name="webhooks:listen",
            ),
        ]
        try:
            while True:
                stop_if_asked()
                self._wake.clear()
                try:
                    taken = await self._claim()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.warning("could not take due deliveries; trying again", exc_info=True)
                    taken = 0
                if taken >= self._settings.claim_batch:
                    await asyncio.sleep(0)  # more are due: take them after a breath
                    continue
                try:
                    async with asyncio.timeout(IDLE_POLL_S):
                        await self._wake.wait()
                except TimeoutError:
                    pass
        finally:
            for lane in self._lanes.values():
                await cancel_and_wait(*lane.workers)
            await cancel_and_wait(*tasks)
            # What was recorded but not yet written: written now, so no sent delivery is left
            # to be sent again when its lease runs out.
            await self._flush(self._drain_results())
            await self._http.close()

    async def _claim(self) -> int:
        busy = [
            str(lane.id)
            for lane in self._lanes.values()
            if lane.backlog >= self._settings.in_flight_per_endpoint
        ]
        async with self._db.unit_of_work() as session:
            rows = (
                await session.execute(
                    CLAIM,
                    {
                        "per_endpoint": self._per_endpoint,
                        "busy": busy,
                        "batch": self._settings.claim_batch,
                        "lease_s": self._lease_s,
                    },
                )
            ).all()
        if not rows:
            return 0
        stale = {
            row.endpoint_id
            for row in rows
            if (lane := self._lanes.get(row.endpoint_id)) is None
            or lane.version != row.endpoint_version
        }
        if stale:
            await self._load_lanes(stale)
        for row in rows:
            lane = self._lanes.get(row.endpoint_id)
            if lane is None or lane.disabled:
                continue  # deleted or disabled meanwhile: its lease runs out, nothing is lost
            lane.queue.put_nowait(
                Due(
                    row.id,
                    row.endpoint_id,
                    row.attempts,
                    row.step,
                    row.message_seq,
                    row.message_id,
                    row.body,
                    row.occurred_at,
                )
            )
            while len(lane.workers) < min(
                self._settings.in_flight_per_endpoint, lane.queue.qsize() + lane.in_flight
            ):
                lane.workers.append(
                    asyncio.create_task(self._work(lane), name=f"webhooks:lane:{lane.id}")
                )
        return len(rows)

    async def _load_lanes(self, ids: set[UUID]) -> None:
        async with self._db.reading() as connection:
            endpoints = (
                await connection.execute(select(ENDPOINTS).where(Endpoint.id.in_(ids)))
            ).all()
        now = datetime.now(UTC)
        for row in endpoints:
            previous = None
            if row.sealed_previous_secret and (row.previous_secret_until or now) > now:
                previous = self._sealer.unseal(row.sealed_previous_secret)["secret"]
            signer = Signer(self._sealer.unseal(row.sealed_secret)["secret"], previous)
            lane = self._lanes.get(row.id)
            bucket = TokenBucket(row.rate_limit_per_s) if row.rate_limit_per_s else None
            if lane is None:
                self._lanes[row.id] = Lane(
                    row.id,
                    row.tenant_id,
                    row.url,
                    row.updated_at,
                    signer,
                    row.failing_since,
                    bucket,
                )
            else:
                lane.url, lane.version, lane.signer = row.url, row.updated_at, signer
                lane.failing_since = row.failing_since
                lane.disabled = row.disabled_at is not None
                if (lane.bucket.per_s if lane.bucket else None) != row.rate_limit_per_s:
                    lane.bucket = bucket

    async def _work(self, lane: Lane) -> None:
        try:
            while not lane.disabled:
                try:
                    due = lane.queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                lane.in_flight += 1
                try:
                    if lane.bucket is not None:
                        await lane.bucket.take()
                    self._results.put_nowait(await self._send(lane, due))
                finally:
                    lane.in_flight -= 1
        finally:
            task = asyncio.current_task()
            if task in lane.workers:
                lane.workers.remove(task)  # type: ignore[arg-type]

    async def _send(self, lane: Lane, due: Due) -> Result:
        assert self._http is not None
        now = datetime.now(UTC)
        body = due.body.decode()
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": due.message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": lane.signer.signature(due.message_id, now, body),
        }
        started = time.perf_counter()
        status = None
        excerpt = error = None
        wait = None
        try:
            async with self._http.post(
                lane.url, data=due.body, headers=headers, allow_redirects=False
            ) as answer:
                status = answer.status
                raw = await answer.content.read(EXCERPT_BYTES)
                excerpt = raw.decode(errors="replace") or None
                if status in (429, 503):
                    wait = retry_after(answer.headers.get("Retry-After"))
            outcome = "succeeded" if 200 <= status < 300 else "failed"
        except TimeoutError:
            outcome, error = "timeout", f"no answer within {self._settings.timeout_s:g} s"
        except RefusedTarget as refused:
            outcome, error = "refused", str(refused)
        except aiohttp.ClientConnectorError as unreachable:
            cause = unreachable.__cause__ or unreachable.os_error
            if isinstance(cause, RefusedTarget):
                outcome, error = "refused", str(cause)
            else:
                outcome, error = "unreachable", str(unreachable)[:500]
        except (aiohttp.ClientError, OSError) as broken:
            outcome, error = "unreachable", f"{type(broken).__name__}: {broken}"[:500]
        latency = time.perf_counter() - started
        ATTEMPT_SECONDS.observe(latency)
        return Result(due, now, outcome, status, latency, excerpt, error, wait)

    def _drain_results(self) -> list[Result]:
        batch = []
        while not self._results.empty():
            batch.append(self._results.get_nowait())
        return batch

    async def _record_results(self) -> None:
        while True:
            stop_if_asked()
            batch = [await self._results.get()]
            await asyncio.sleep(0.02)  # let a burst gather into one write
            batch += self._drain_results()
            try:
                await self._flush(batch)
            except asyncio.CancelledError:
                raise
            except Exception:
                # Their leases run out and they are sent again, under the same webhook-id.
                log.warning("could not record %d delivery attempts", len(batch), exc_info=True)

    async def _flush(self, batch: Sequence[Result]) -> None:
        if not batch:
            return
        settings = self._settings
        attempts: list[dict[str, Any]] = []
        moves: list[dict[str, Any]] = []
        now = datetime.now(UTC)
        for result in batch:
            due = result.due
            attempts.append(
                {
                    "delivery_id": due.delivery_id,
                    "endpoint_id": due.endpoint_id,
                    "message_seq": due.message_seq,
                    "attempted_at": result.attempted_at,
                    "outcome": result.outcome,
                    "status_code": result.status,
                    "latency_ms": round(result.latency_s * 1000),
                    "response_excerpt": result.excerpt,
                    "error": result.error,
                }
            )
            ATTEMPT_OUTCOMES.labels(result.outcome).inc()
            if result.succeeded:
                state, delay = "delivered", 0.0
                if due.attempts == 0:
                    EVENT_TO_DELIVERY_SECONDS.observe((now - due.occurred_at).total_seconds())
            else:
                next_delay = delay_before(
                    due.step + 1, settings.retry_schedule_s, settings.retry_jitter
                )
                if next_delay is None:
                    state, delay = "failed", 0.0
                else:
                    state, delay = "pending", max(next_delay, result.retry_after_s or 0.0)
            moves.append(
                {
                    "b_id": due.delivery_id,
                    "b_state": state,
                    "b_step": due.step + 1,
                    "b_delay": delay,
                    "b_status": result.status,
                    "b_delivered": result.attempted_at if result.succeeded else None,
                }
            )
        d = DELIVERY_TABLE.c
        async with self._db.unit_of_work() as session:
            await session.execute(insert(ATTEMPTS), attempts)
            await session.execute(
                update(DELIVERY_TABLE)
                .where(d.id == bindparam("b_id"))
                .values(
                    state=bindparam("b_state"),
                    attempts=d.attempts + 1,
                    step=bindparam("b_step"),
                    next_attempt_at=func.now()
                    + func.make_interval(0, 0, 0, 0, 0, 0, bindparam("b_delay")),
                    last_status=bindparam("b_status"),
                    delivered_at=bindparam("b_delivered"),
                ),
                moves,
            )
            await self._follow_endpoints(session, batch)

    async def _follow_endpoints(self, session: Any, batch: Sequence[Result]) -> None:
        """Endpoints that started or stopped failing, went away (410), or failed too long."""
        settings = self._settings
        e = ENDPOINTS.c
        outcome: dict[UUID, Result] = {}
        for result in batch:  # the last word per endpoint; a success wins within a batch
            current = outcome.get(result.due.endpoint_id)
            if current is None or not current.succeeded:
                outcome[result.due.endpoint_id] = result
        for endpoint_id, result in outcome.items():
            lane = self._lanes.get(endpoint_id)
            if lane is None:
                continue
            if result.succeeded:
                if lane.failing_since is not None:
                    await session.execute(
                        update(ENDPOINTS).where(e.id == endpoint_id).values(failing_since=None)
                    )
                    lane.failing_since = None
                continue
            if result.status == 410:
                await self._disable(
                    session, lane, "gone", "The endpoint answered 410 Gone: it asked for no more."
                )
                continue
            if lane.failing_since is None:
                lane.failing_since = result.attempted_at
                await session.execute(
                    update(ENDPOINTS)
                    .where(e.id == endpoint_id, e.failing_since.is_(None))
                    .values(failing_since=result.attempted_at)
                )
            elif (
                result.attempted_at - lane.failing_since
            ).total_seconds() >= settings.disable_after_failing_s:
                days = settings.disable_after_failing_s / 86400
                await self._disable(
                    session,
                    lane,
                    "failing",
                    f"Every delivery attempt has failed for {days:g} days.",
                )

    async def _disable(self, session: Any, lane: Lane, reason: str, words: str) -> None:
        e = ENDPOINTS.c
        disabled = (
            await session.execute(
                update(ENDPOINTS)
                .where(e.id == lane.id, e.disabled_at.is_(None))
                .values(disabled_at=func.now(), disabled_reason=words, updated_at=func.now())
                .returning(e.id)
            )
        ).first()
        lane.disabled = True
        while not lane.queue.empty():  # taken, not sent: due again once their lease runs out
            lane.queue.get_nowait()
        if disabled is None:
            return
        ENDPOINTS_DISABLED.labels(reason).inc()
        log.warning("webhook endpoint %s disabled: %s", lane.id, words)
        if self._mailer is None:
            return
        to = self._settings.operator_email
        if lane.tenant_id is not None:
            contact = (
                await session.execute(
                    select(IspContact.email).where(IspContact.isp_id == lane.tenant_id)
                )
            ).scalar_one_or_none()
            to = contact or to
        await self._mailer.queue(
            session,
            to=to,
            subject="A webhook endpoint was disabled",
            body=(
                f"Deliveries to {lane.url} have stopped: {words}\n\n"
                "Fix the receiver, then enable the endpoint again (PATCH it with "
                '{"enabled": true}) and replay what it missed since it failed.\n'
            ),
        )
