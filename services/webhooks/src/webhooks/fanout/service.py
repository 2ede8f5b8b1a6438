"""Every event the platform publishes that has a public form becomes a message, kept for
replay and event streams, and a delivery to each endpoint of its owner that wants it — in the
same transaction as the inbox record of the event, so a redelivered event makes nothing twice
and a message's id is the same however often its event arrives."""

from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts import CloudEvent, Event
from dotmac_contracts.events import IspRegistered
from dotmac_contracts.public import publicise
from webhooks.fanout import repository
from webhooks.metrics import MESSAGES

MESSAGES_CHANNEL = "webhooks_messages"
"""NOTIFYed (payload: the owner's tenant id, empty for the platform's) when messages commit:
dispatchers look for due deliveries, event streams read what is new."""


async def fan_out(session: AsyncSession, event: Event, envelope: CloudEvent) -> int:
    """Make the event's public messages and their deliveries; how many messages were new."""

    if isinstance(event, IspRegistered):
        await repository.keep_contact(
            session, event.isp_id, str(event.primary_contact_email), event.company_name
        )
    made = 0
    owners = set()
    for message in publicise(event, event_id=envelope.id, occurred_at=envelope.time):
        seq = await repository.add_message(session, message)
        if seq is None:
            continue
        await repository.add_deliveries(session, seq, message)
        MESSAGES.labels(message.audience.value).inc()
        owners.add(message.tenant_id)
        made += 1
    for owner in owners:
        await repository.announce(session, MESSAGES_CHANNEL, owner)
    return made
