import re
import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from dotmac_contracts import EVENTS, CloudEvent, decode_event, encode_event, stream_for_subject
from dotmac_contracts.asyncapi import DOCUMENT_PATH, render
from dotmac_contracts.envelope import MalformedEnvelope, UnknownEventType
from dotmac_contracts.events import DeploymentStepCompleted, IspRegistered
from dotmac_contracts.vocabulary import DeploymentStep


def registered() -> IspRegistered:
    return IspRegistered(
        isp_id=uuid.uuid4(),
        deployment_id=uuid.uuid4(),
        slug="acme-fiber",
        company_name="Acme Fiber",
        country="US",
        region="us-east-1",
        tier="basic",
        billing_period="monthly",
        domain="acme.example",
        primary_contact_name="Ann",
        primary_contact_email="ann@acme.example",
        expected_customers=800,
        registered_at=datetime.now(UTC),
    )


def test_every_event_is_past_tense_versioned_and_captured_by_a_stream():
    assert len(EVENTS) >= 8
    for subject, model in EVENTS.items():
        assert re.fullmatch(r"dotmac\.[a-z_]+\.[a-z_]+\.[a-z_]+\.v\d+", subject)
        assert re.search(r"(ed|_back)\.v\d+$", subject), f"{subject} is not in the past tense"
        assert stream_for_subject(subject).name == subject.split(".")[1].upper()
        assert model.subject == subject


def test_events_are_frozen_and_refuse_unknown_fields():
    event = registered()
    with pytest.raises(ValidationError):
        event.slug = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        IspRegistered.model_validate({**event.model_dump(), "surprise": 1})


def test_envelope_round_trips_through_nats_headers():
    event = registered()
    event_id = str(uuid.uuid4())
    trace = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    envelope = encode_event(
        event, event_id=event_id, source="registration", time=datetime.now(UTC), trace_headers=trace
    )
    headers = envelope.headers()
    assert headers["Nats-Msg-Id"] == headers["ce-id"] == event_id
    assert headers["ce-type"] == "dotmac.registration.isp.registered.v1"
    assert headers["ce-subject"] == str(event.isp_id)
    assert headers["ce-specversion"] == "1.0"
    assert headers["traceparent"] == trace["traceparent"]
    back = CloudEvent.from_headers(headers, envelope.data)
    assert back.trace_headers == trace
    assert decode_event(back) == event


def test_unreadable_envelopes_are_refused_with_a_reason():
    with pytest.raises(MalformedEnvelope, match="ce-id"):
        CloudEvent.from_headers({"ce-specversion": "1.0"}, b"{}")
    with pytest.raises(MalformedEnvelope):
        CloudEvent.from_headers(
            {
                "ce-specversion": "1.0",
                "ce-id": "x",
                "ce-source": "s",
                "ce-type": "t",
                "ce-time": "yesterday",
            },
            b"{}",
        )
    unknown = CloudEvent(
        id="1",
        source="s",
        type="dotmac.nowhere.thing.happened.v1",
        subject="",
        time=datetime.now(UTC),
        data=b"{}",
    )
    with pytest.raises(UnknownEventType):
        decode_event(unknown)
    wrong_body = CloudEvent(
        id="1",
        source="s",
        type=DeploymentStepCompleted.subject,
        subject="",
        time=datetime.now(UTC),
        data=b'{"step": "' + DeploymentStep.DEPLOYING.value.encode() + b'"}',
    )
    with pytest.raises(ValidationError):
        decode_event(wrong_body)


def test_committed_asyncapi_document_matches_the_code():
    assert DOCUMENT_PATH.read_text() == render(), (
        "contracts/asyncapi.yaml is stale: run `make asyncapi` and commit it"
    )


def test_asyncapi_document_names_every_event():
    document = render()
    for subject, model in EVENTS.items():
        assert f"address: {subject}" in document
        assert f"{model.__name__}:" in document
