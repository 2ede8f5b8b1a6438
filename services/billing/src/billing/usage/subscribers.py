"""Usage's subscribers: tenant-api's customer counts, and licences that change the cap."""

from billing.usage import service
from dotmac_contracts.events import CustomersCounted, LicenceChanged
from servicekit.stream import EventOutbox, Session


async def on_customers_counted(
    event: CustomersCounted, session: Session, outbox: EventOutbox
) -> None:
    await service.record_count(session, outbox, event)


async def on_licence_changed(event: LicenceChanged, session: Session, outbox: EventOutbox) -> None:
    await service.change_cap(session, outbox, event)


SUBSCRIBERS = (on_customers_counted, on_licence_changed)
