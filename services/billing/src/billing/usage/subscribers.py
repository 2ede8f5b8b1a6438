"""Usage's subscribers: tenant-api's customer counts, and licences that change the cap."""

from typing import Annotated

from billing.notices import Notices
from billing.usage import service
from dotmac_contracts.events import CustomersCounted, LicenceChanged
from servicekit.stream import ContextValue, EventOutbox, Session

Told = Annotated[Notices, ContextValue("notices")]


async def on_customers_counted(
    event: CustomersCounted, session: Session, outbox: EventOutbox, notices: Told
) -> None:
    await service.record_counts(session, outbox, notices, event)


async def on_licence_changed(
    event: LicenceChanged, session: Session, outbox: EventOutbox, notices: Told
) -> None:
    await service.change_cap(session, outbox, notices, event)


SUBSCRIBERS = (on_customers_counted, on_licence_changed)
