"""The SQL of endpoints, their delivery log and their owners' messages. Every statement is
bounded to one owner: another owner's ids are not found."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from webhooks.models import Attempt, Endpoint, Message

TEST_TYPE = "webhook.test"


def _owned(statement: Select[Any], tenant_id: UUID | None) -> Select[Any]:
    return statement.where(Endpoint.tenant_id.is_not_distinct_from(tenant_id))


async def endpoint(
    session: AsyncSession, tenant_id: UUID | None, endpoint_id: UUID
) -> Endpoint | None:
    found: Endpoint | None = (
        await session.execute(
            _owned(select(Endpoint), tenant_id).where(Endpoint.id == endpoint_id).with_for_update()
        )
    ).scalar_one_or_none()
    return found


async def by_idempotency_key(
    session: AsyncSession, tenant_id: UUID | None, key: str
) -> Endpoint | None:
    found: Endpoint | None = (
        await session.execute(
            _owned(select(Endpoint), tenant_id).where(Endpoint.idempotency_key == key)
        )
    ).scalar_one_or_none()
    return found


async def endpoints(connection: AsyncConnection, tenant_id: UUID | None) -> list[Any]:
    return list(
        (
            await connection.execute(
                _owned(select(Endpoint.__table__), tenant_id).order_by(Endpoint.created_at)
            )
        ).all()
    )


async def owns(connection: AsyncConnection, tenant_id: UUID | None, endpoint_id: UUID) -> bool:
    statement = _owned(select(Endpoint.id), tenant_id).where(Endpoint.id == endpoint_id)
    return (await connection.execute(statement)).first() is not None


async def count(session: AsyncSession, tenant_id: UUID | None) -> int:
    return int(
        (
            await session.execute(_owned(select(func.count()).select_from(Endpoint), tenant_id))
        ).scalar_one()
    )


async def attempts(
    connection: AsyncConnection, endpoint_id: UUID, *, before: int | None, limit: int
) -> list[Any]:
    statement = (
        select(
            Attempt.id,
            Message.id.label("message_id"),
            Message.type,
            Attempt.attempted_at,
            Attempt.outcome,
            Attempt.status_code,
            Attempt.latency_ms,
            Attempt.response_excerpt,
            Attempt.error,
        )
        .join(Message, Message.seq == Attempt.message_seq)
        .where(Attempt.endpoint_id == endpoint_id)
        .order_by(Attempt.id.desc())
        .limit(limit)
    )
    if before is not None:
        statement = statement.where(Attempt.id < before)
    return list((await connection.execute(statement)).all())


async def messages(
    connection: AsyncConnection,
    tenant_id: UUID | None,
    *,
    after: int | None = None,
    before: int | None = None,
    limit: int,
) -> list[Any]:
    """The owner's messages: newest first (`before`), or oldest first after `after` (streams)."""
    statement = select(
        Message.seq, Message.id, Message.type, Message.body, Message.occurred_at
    ).where(Message.tenant_id.is_not_distinct_from(tenant_id), Message.type != TEST_TYPE)
    if after is not None:
        statement = statement.where(Message.seq > after).order_by(Message.seq)
    else:
        statement = statement.order_by(Message.seq.desc())
        if before is not None:
            statement = statement.where(Message.seq < before)
    return list((await connection.execute(statement.limit(limit))).all())


async def last_seq(connection: AsyncConnection, tenant_id: UUID | None) -> int:
    seq = (
        await connection.execute(
            select(Message.seq)
            .where(Message.tenant_id.is_not_distinct_from(tenant_id))
            .order_by(Message.seq.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    return int(seq or 0)


REPLAY = text(
    """
    INSERT INTO webhooks.deliveries (endpoint_id, message_seq)
    SELECT CAST(:endpoint AS uuid), m.seq FROM webhooks.messages m
    WHERE m.tenant_id IS NOT DISTINCT FROM CAST(:tenant AS uuid)
      AND m.type <> 'webhook.test'
      AND (CAST(:message AS varchar) IS NULL OR m.id = CAST(:message AS varchar))
      AND (CAST(:since AS timestamptz) IS NULL OR m.occurred_at >= CAST(:since AS timestamptz))
      AND (cardinality(CAST(:types AS varchar[])) = 0 OR m.type = ANY(CAST(:types AS varchar[])))
    ON CONFLICT ON CONSTRAINT uq_deliveries_endpoint_message DO UPDATE
    SET state = 'pending', step = 0, next_attempt_at = now(), delivered_at = NULL
    WHERE webhooks.deliveries.state <> 'pending'
    RETURNING 1
    """
)


async def replay(
    session: AsyncSession,
    endpoint: Endpoint,
    *,
    message_id: str | None = None,
    since: datetime | None = None,
) -> int:
    """Queue the owner's messages again for `endpoint` (one, or all since a time, of the
    types it takes); a delivery already waiting is left as it is. How many were queued."""
    rows = (
        await session.execute(
            REPLAY,
            {
                "endpoint": endpoint.id,
                "tenant": endpoint.tenant_id,
                "message": message_id,
                "since": since,
                "types": [] if message_id else list(endpoint.event_types),
            },
        )
    ).all()
    return len(rows)


async def message_exists(session: AsyncSession, tenant_id: UUID | None, message_id: str) -> bool:
    return (
        await session.execute(
            select(Message.seq).where(
                Message.id == message_id,
                Message.tenant_id.is_not_distinct_from(tenant_id),
                Message.type != TEST_TYPE,
            )
        )
    ).first() is not None
