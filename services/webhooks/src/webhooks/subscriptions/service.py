"""Endpoints: subscribed, changed, rotated, replayed to and tested by their owners."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from dotmac_contracts.public import TEST_EVENT, PublicMessage, public_types, render
from servicekit.problems import Conflict, NotFound, UnprocessableContent
from servicekit.sealing import Sealer
from webhooks.config import Settings
from webhooks.delivery.guard import RefusedTarget, check_url
from webhooks.delivery.signing import new_secret
from webhooks.fanout import repository as fanout
from webhooks.fanout.service import announce_deliveries, announce_messages
from webhooks.models import Delivery, Endpoint
from webhooks.owners import Owner
from webhooks.subscriptions import repository
from webhooks.subscriptions.schemas import (
    AttemptPage,
    AttemptRead,
    EndpointCreate,
    EndpointCreated,
    EndpointRead,
    EndpointUpdate,
    MessagePage,
    MessageRead,
    SecretRotated,
)

MAX_ENDPOINTS = 50
"""Endpoints per owner: a receiver fans out on its side; fifty of ours is a misuse."""


def _invalid(field: str, message: str) -> UnprocessableContent:
    return UnprocessableContent(
        f"{field}: {message}", errors=[{"field": field, "message": message}]
    )


def _url(url: str, settings: Settings) -> str:
    try:
        return check_url(url, production=settings.production)
    except RefusedTarget as refused:
        raise _invalid("url", f"The URL {refused}.") from None


def _types(owner: Owner, names: list[str]) -> list[str]:
    known = {t.name for t in public_types(owner.audience)}
    unknown = sorted({n for n in names if n not in known})
    if unknown:
        raise _invalid(
            "event_types",
            f"Unknown event types for this endpoint: {', '.join(unknown)}. "
            "GET /api/v1/webhooks/event-types lists them.",
        )
    return sorted(set(names))


def read(endpoint: Endpoint) -> EndpointRead:
    return EndpointRead(
        id=endpoint.id,
        url=endpoint.url,
        description=endpoint.description,
        event_types=list(endpoint.event_types),
        rate_limit_per_s=endpoint.rate_limit_per_s,
        enabled=endpoint.disabled_at is None,
        disabled_at=endpoint.disabled_at,
        disabled_reason=endpoint.disabled_reason,
        failing_since=endpoint.failing_since,
        secret_rotated_until=endpoint.previous_secret_until,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


async def subscribe(
    session: AsyncSession,
    sealer: Sealer,
    settings: Settings,
    owner: Owner,
    spec: EndpointCreate,
    idempotency_key: str | None,
) -> EndpointCreated:
    if idempotency_key is not None:
        earlier = await repository.by_idempotency_key(session, owner.tenant_id, idempotency_key)
        if earlier is not None:
            # The same request again (its answer was lost): the same endpoint and secret.
            secret = sealer.unseal(earlier.sealed_secret)["secret"]
            return EndpointCreated(**read(earlier).model_dump(), secret=secret)
    if await repository.count(session, owner.tenant_id) >= MAX_ENDPOINTS:
        raise Conflict(f"At most {MAX_ENDPOINTS} endpoints; delete one first.", limit=MAX_ENDPOINTS)
    secret = new_secret()
    now = datetime.now(UTC)
    endpoint = Endpoint(
        id=uuid.uuid4(),
        tenant_id=owner.tenant_id,
        url=_url(spec.url, settings),
        description=spec.description,
        event_types=_types(owner, spec.event_types),
        sealed_secret=sealer.seal({"secret": secret}),
        rate_limit_per_s=spec.rate_limit_per_s,
        created_by=owner.who,
        idempotency_key=idempotency_key,
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    await session.flush()
    return EndpointCreated(**read(endpoint).model_dump(), secret=secret)


async def found(session: AsyncSession, owner: Owner, endpoint_id: UUID) -> Endpoint:
    endpoint = await repository.endpoint(session, owner.tenant_id, endpoint_id)
    if endpoint is None:
        raise NotFound("No such endpoint.")
    return endpoint


async def listed(connection: AsyncConnection, owner: Owner) -> list[EndpointRead]:
    rows = await repository.endpoints(connection, owner.tenant_id)
    return [read(row) for row in rows]  # type: ignore[arg-type]


async def change(
    session: AsyncSession,
    settings: Settings,
    owner: Owner,
    endpoint_id: UUID,
    spec: EndpointUpdate,
) -> EndpointRead:
    endpoint = await found(session, owner, endpoint_id)
    given = spec.model_fields_set
    if spec.url is not None:
        endpoint.url = _url(spec.url, settings)
    if spec.description is not None:
        endpoint.description = spec.description
    if spec.event_types is not None:
        endpoint.event_types = _types(owner, spec.event_types)
    if "rate_limit_per_s" in given:
        endpoint.rate_limit_per_s = spec.rate_limit_per_s
    now = datetime.now(UTC)
    if spec.enabled is True and endpoint.disabled_at is not None:
        endpoint.disabled_at = endpoint.disabled_reason = endpoint.failing_since = None
    elif spec.enabled is False and endpoint.disabled_at is None:
        endpoint.disabled_at = now
        endpoint.disabled_reason = f"Disabled by {owner.who}."
    endpoint.updated_at = now
    await session.flush()
    return read(endpoint)


async def remove(session: AsyncSession, owner: Owner, endpoint_id: UUID) -> None:
    endpoint = await found(session, owner, endpoint_id)
    await session.delete(endpoint)


async def rotate_secret(
    session: AsyncSession, sealer: Sealer, settings: Settings, owner: Owner, endpoint_id: UUID
) -> SecretRotated:
    endpoint = await found(session, owner, endpoint_id)
    secret = new_secret()
    now = datetime.now(UTC)
    until = now + timedelta(seconds=settings.secret_overlap_s)
    endpoint.sealed_previous_secret = endpoint.sealed_secret
    endpoint.previous_secret_until = until
    endpoint.sealed_secret = sealer.seal({"secret": secret})
    endpoint.updated_at = now
    await session.flush()
    return SecretRotated(secret=secret, previous_valid_until=until)


async def attempts(
    connection: AsyncConnection, owner: Owner, endpoint_id: UUID, before: int | None, limit: int
) -> AttemptPage:
    if not await _owned(connection, owner, endpoint_id):
        raise NotFound("No such endpoint.")
    rows = await repository.attempts(connection, endpoint_id, before=before, limit=limit)
    page = [AttemptRead.model_validate(row, from_attributes=True) for row in rows]
    return AttemptPage(attempts=page, next_before=page[-1].id if len(page) == limit else None)


async def _owned(connection: AsyncConnection, owner: Owner, endpoint_id: UUID) -> bool:
    return await repository.owns(connection, owner.tenant_id, endpoint_id)


async def messages(
    connection: AsyncConnection, owner: Owner, before: int | None, limit: int
) -> MessagePage:
    rows = await repository.messages(connection, owner.tenant_id, before=before, limit=limit)
    page = [
        MessageRead(
            id=row.id,
            seq=row.seq,
            type=row.type,
            occurred_at=row.occurred_at,
            payload=json.loads(row.body),
        )
        for row in rows
    ]
    return MessagePage(messages=page, next_before=page[-1].seq if len(page) == limit else None)


async def replay_message(
    session: AsyncSession, owner: Owner, endpoint_id: UUID, message_id: str
) -> int:
    endpoint = await found(session, owner, endpoint_id)
    if not await repository.message_exists(session, owner.tenant_id, message_id):
        raise NotFound("No such message.")
    queued = await repository.replay(session, endpoint, message_id=message_id)
    if queued:
        await announce_deliveries(session)
    return queued


async def replay_since(
    session: AsyncSession, settings: Settings, owner: Owner, endpoint_id: UUID, since: datetime
) -> int:
    endpoint = await found(session, owner, endpoint_id)
    if since.tzinfo is None:
        raise _invalid("since", "Give a time zone (such as Z or +02:00).")
    now = datetime.now(UTC)
    if since > now:
        raise _invalid("since", "This time is in the future.")
    oldest = now - timedelta(days=settings.message_retention_days)
    if since < oldest:
        raise _invalid(
            "since",
            f"Messages are kept {settings.message_retention_days} days: "
            f"give a time after {oldest.isoformat()}.",
        )
    queued = await repository.replay(session, endpoint, since=since)
    if queued:
        await announce_deliveries(session)
    return queued


async def send_test(session: AsyncSession, owner: Owner, endpoint_id: UUID) -> str:
    endpoint = await found(session, owner, endpoint_id)
    now = datetime.now(UTC)
    data: dict[str, Any] = {"endpoint_id": str(endpoint.id), "sent_by": owner.who}
    message = PublicMessage(
        id="msg_" + uuid.uuid4().hex,
        type=TEST_EVENT.name,
        audience=owner.audience,
        tenant_id=owner.tenant_id,
        occurred_at=now,
        body=render(TEST_EVENT, data, now),
    )
    seq = await fanout.add_message(session, message)
    assert seq is not None  # a fresh id
    session.add(Delivery(endpoint_id=endpoint.id, message_seq=seq))
    await announce_messages(session, owner.tenant_id)
    await announce_deliveries(session)
    return message.id
