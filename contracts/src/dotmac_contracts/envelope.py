"""CloudEvents 1.0 in NATS binary mode: attributes ride as `ce-*` headers, the body is the data.

`Nats-Msg-Id` carries the event id so JetStream drops a republished duplicate, and the W3C
`traceparent`/`tracestate` headers carry the trace from the producer to every consumer.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from dotmac_contracts.registry import EVENTS, Event

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"


class UnknownEventType(LookupError):
    pass


class MalformedEnvelope(ValueError):
    pass


@dataclass(frozen=True)
class CloudEvent:
    id: str
    source: str
    type: str
    subject: str
    time: datetime
    data: bytes
    trace_headers: dict[str, str] = field(default_factory=dict)

    def headers(self) -> dict[str, str]:
        return {
            "ce-specversion": SPEC_VERSION,
            "ce-id": self.id,
            "ce-source": self.source,
            "ce-type": self.type,
            "ce-subject": self.subject,
            "ce-time": self.time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "content-type": CONTENT_TYPE,
            "Nats-Msg-Id": self.id,
            **self.trace_headers,
        }

    @classmethod
    def from_headers(cls, headers: dict[str, str] | None, data: bytes) -> "CloudEvent":
        headers = headers or {}
        try:
            if headers["ce-specversion"] != SPEC_VERSION:
                raise MalformedEnvelope(f"unsupported specversion {headers['ce-specversion']!r}")
            event_id, source, type_ = headers["ce-id"], headers["ce-source"], headers["ce-type"]
            time = datetime.fromisoformat(headers["ce-time"].replace("Z", "+00:00"))
            return cls(
                id=event_id,
                source=source,
                type=type_,
                subject=headers.get("ce-subject", ""),
                time=time,
                data=data,
                trace_headers={
                    k: headers[k] for k in ("traceparent", "tracestate") if k in headers
                },
            )
        except KeyError as missing:
            raise MalformedEnvelope(f"missing header {missing}") from None
        except ValueError as bad:
            raise MalformedEnvelope(str(bad)) from None


def encode_event(
    event: Event,
    *,
    event_id: str,
    source: str,
    time: datetime,
    trace_headers: dict[str, str] | None = None,
) -> CloudEvent:
    return CloudEvent(
        id=event_id,
        source=source,
        type=event.subject,
        subject=event.ce_subject(),
        time=time,
        data=event.model_dump_json().encode(),
        trace_headers=dict(trace_headers or {}),
    )


def decode_event(envelope: CloudEvent) -> Event:
    """The typed event inside an envelope. Raises UnknownEventType or pydantic's ValidationError."""
    model = EVENTS.get(envelope.type)
    if model is None:
        raise UnknownEventType(envelope.type)
    return model.model_validate_json(envelope.data)
