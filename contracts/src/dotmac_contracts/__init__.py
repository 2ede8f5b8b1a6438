"""Everything that crosses a DotMac service boundary: event models, subjects, the envelope.

Data only. Services import this package; it imports no service and does no I/O.
"""

import dotmac_contracts.events  # noqa: F401  (registers every event)
from dotmac_contracts.envelope import CloudEvent, decode_event, encode_event
from dotmac_contracts.registry import EVENTS, Event, IspEvent, event_type
from dotmac_contracts.streams import STREAMS, Stream, stream_for_subject

__all__ = [
    "EVENTS",
    "STREAMS",
    "CloudEvent",
    "Event",
    "IspEvent",
    "Stream",
    "decode_event",
    "encode_event",
    "event_type",
    "stream_for_subject",
]
