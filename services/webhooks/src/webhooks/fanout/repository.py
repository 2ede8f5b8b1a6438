"""The SQL of turning events into messages and deliveries."""

from uuid import UUID

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.public import PublicMessage
from webhooks.models import IspContact, Message

NEW_DELIVERIES = text(
    """
    INSERT INTO webhooks.deliveries (endpoint_id, message_seq)
    SELECT e.id, :seq FROM webhooks.endpoints e
    WHERE e.tenant_id IS NOT DISTINCT FROM CAST(:tenant AS uuid)
      AND e.disabled_at IS NULL
      AND (cardinality(e.event_types) = 0 OR CAST(:type AS varchar) = ANY(e.event_types))
    ON CONFLICT DO NOTHING
    """
)


async def add_message(session: AsyncSession, message: PublicMessage) -> int | None:
    """The new message's sequence number; None if it was made before."""
    seq: int | None = (
        await session.execute(
            insert(Message)
            .values(
                id=message.id,
                tenant_id=message.tenant_id,
                type=message.type,
                body=message.body,
                occurred_at=message.occurred_at,
            )
            .on_conflict_do_nothing(index_elements=[Message.id])
            .returning(Message.seq)
        )
    ).scalar_one_or_none()
    return seq


async def add_deliveries(session: AsyncSession, seq: int, message: PublicMessage) -> int:
    """A delivery of the message to each enabled endpoint of its owner that wants its type;
    how many were made (none, mostly: most owners have no endpoints)."""
    result = await session.execute(
        NEW_DELIVERIES,
        {"seq": seq, "tenant": message.tenant_id, "type": message.type},
    )
    return int(getattr(result, "rowcount", 0))  # an INSERT's CursorResult


async def keep_contact(session: AsyncSession, isp_id: UUID, email: str, company: str) -> None:
    statement = insert(IspContact).values(isp_id=isp_id, email=email, company_name=company)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[IspContact.isp_id],
            set_={"email": statement.excluded.email, "company_name": company},
        )
    )


async def announce(session: AsyncSession, channel: str, payload: str = "") -> None:
    """NOTIFY `channel` with `payload` once this commits (never, if it rolls back)."""
    await session.execute(
        text("SELECT pg_notify(:channel, :payload)"),
        {"channel": channel, "payload": payload},
    )
