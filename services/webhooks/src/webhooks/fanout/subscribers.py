"""One subscriber per internal event that has a public form (the catalogue in
`dotmac_contracts.public` says which), all doing the same: fan the event out."""

from dotmac_contracts.public import BY_SUBJECT
from dotmac_contracts.registry import EVENTS, Event
from servicekit.stream import Envelope, Session, Subscriber
from webhooks.fanout.service import fan_out


def _subscriber(event_type: type[Event]) -> Subscriber:
    async def on_event(event: Event, session: Session, envelope: Envelope) -> None:
        await fan_out(session, event, envelope)

    on_event.__annotations__["event"] = event_type
    on_event.__name__ = on_event.__qualname__ = f"fan_out_{event_type.__name__}"
    return on_event


SUBSCRIBERS: tuple[Subscriber, ...] = tuple(
    _subscriber(EVENTS[subject]) for subject in sorted(BY_SUBJECT)
)
