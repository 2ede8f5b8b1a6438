"""Every event the platform publishes that has a public form becomes a message, kept for
replay and event streams, and a delivery to each endpoint of its owner that wants it — in the
same transaction as the inbox record of the event, so a redelivered event makes nothing twice
and a message's id is the same however often its event arrives."""

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts import CloudEvent, Event
from dotmac_contracts.events import IspRegistered
from dotmac_contracts.public import publicise
from webhooks.fanout import repository
from webhooks.metrics import MESSAGES

MESSAGES_CHANNEL = "webhooks_messages"
"""NOTIFYed (payload: the owner's tenant id, empty for the platform's) when messages commit:
the owner's event streams read what is new."""

DELIVERIES_CHANNEL = "webhooks_deliveries"
"""NOTIFYed (no payload) when a transaction made deliveries: the dispatchers take them at
once. Not sent for messages nobody wants (most owners have no endpoints), so an idle
dispatcher does not run its claim for nothing at every event. Only a hurry: a dispatcher
also looks every `IDLE_POLL_S`, for retries that came due and for a wake that was lost."""


async def fan_out(session: AsyncSession, event: Event, envelope: CloudEvent) -> int:
    """Make the event's public messages and their deliveries; how many messages were new."""

    if isinstance(event, IspRegistered):
        await repository.keep_contact(
            session, event.isp_id, str(event.primary_contact_email), event.company_name
        )
    made = deliveries = 0
    owners = set()
    for message in publicise(event, event_id=envelope.id, occurred_at=envelope.time):
        seq = await repository.add_message(session, message)
        if seq is None:
            continue
        deliveries += await repository.add_deliveries(session, seq, message)
        MESSAGES.labels(message.audience.value).inc()
        owners.add(message.tenant_id)
        made += 1
    for owner in owners:
        await announce_messages(session, owner)
    if deliveries:
        await announce_deliveries(session)
    return made


async def announce_messages(session: AsyncSession, owner: UUID | None) -> None:
    """Wake the owner's event streams once this transaction's messages commit."""
    await repository.announce(session, MESSAGES_CHANNEL, str(owner) if owner else "")


async def announce_deliveries(session: AsyncSession) -> None:
    """Wake the dispatchers once this transaction's deliveries commit. One NOTIFY for all of
    them, whoever their owners: the dispatchers take whatever is due."""
    await repository.announce(session, DELIVERIES_CHANNEL)
