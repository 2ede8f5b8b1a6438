"""Billing's event subscribers: an ISP's sign-up registers its account, its first licence (its
instance is active) opens the account in Stripe, and the tier catalogue sets the prices."""

from datetime import UTC, datetime
from typing import Annotated

from billing.accounts import service
from billing.clients.stripe import StripeGateway
from billing.notices import Notices
from dotmac_contracts.events import (
    IspRegistered,
    LicenceIssued,
    OffboardingStarted,
    TicketsCounted,
    TierCatalogPublished,
)
from servicekit.stream import ContextValue, EventOutbox, Session

Stripe = Annotated[StripeGateway, ContextValue("stripe")]
Told = Annotated[Notices, ContextValue("notices")]


async def on_registered(
    event: IspRegistered, session: Session, outbox: EventOutbox, stripe: Stripe, notices: Told
) -> None:
    """A sign-up registers the ISP's account; a converted demo's is opened at once (its
    instance is active already, and its licence only changes tier)."""
    await service.register(session, event)
    if event.from_demo:
        await service.open_account(
            session,
            outbox,
            notices,
            stripe,
            event.isp_id,
            event.tier,
            customer_cap=None,
            now=datetime.now(UTC),
        )


async def on_catalogue(event: TierCatalogPublished, session: Session) -> None:
    await service.keep_prices(session, event)


async def on_licence_issued(
    event: LicenceIssued, session: Session, outbox: EventOutbox, stripe: Stripe, notices: Told
) -> None:
    await service.open_account(
        session,
        outbox,
        notices,
        stripe,
        event.isp_id,
        event.tier,
        customer_cap=event.customer_cap,
        now=datetime.now(UTC),
    )


async def on_tickets_counted(event: TicketsCounted, session: Session) -> None:
    await service.record_tickets(session, event)


async def on_offboarding(
    event: OffboardingStarted, session: Session, outbox: EventOutbox, stripe: Stripe, notices: Told
) -> None:
    await service.close_for_offboarding(
        session, outbox, notices, stripe, event.isp_id, at=event.started_at
    )


SUBSCRIBERS = (
    on_registered,
    on_catalogue,
    on_licence_issued,
    on_tickets_counted,
    on_offboarding,
)
