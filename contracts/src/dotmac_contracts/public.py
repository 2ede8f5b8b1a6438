"""The public form of DotMac's events: what third parties receive, as webhooks and as event
streams.

Services tell each other more than a third party may know: sealed SNMP secrets, Stripe payment
methods, internal user ids. A public event type (`customer.created`, `isp.suspended`) names one
internal event, or one case of it, and the fields of it that leave the platform; its JSON schema
is generated from that, so the catalogue third parties read and the payloads they get cannot
disagree.

Two audiences: an ISP subscribes to its own tenant's events; the platform's operator to the
platform's (sign-ups, deployments, payments). The payload is Standard Webhooks' shape:
`{"type": ..., "timestamp": ..., "data": {...}}`.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import BaseModel, ConfigDict, create_model

from dotmac_contracts.events import (
    BillingStatusChanged,
    BillingTierChanged,
    CancellationRequested,
    CustomerCreated,
    CustomerReactivated,
    CustomersImported,
    CustomerStatusChanged,
    CustomerSuspended,
    DemoConverted,
    DemoRequested,
    DeploymentCompleted,
    DeploymentFailed,
    DeploymentRolledBack,
    DeploymentStarted,
    DeviceAlertCleared,
    DeviceAlertRaised,
    DeviceChanged,
    DeviceRegistered,
    DeviceRemoved,
    IspRegistered,
    OffboardingCompleted,
    SubscriptionChanged,
    TicketOpened,
    TicketUpdated,
    UsageThresholdCrossed,
)
from dotmac_contracts.registry import Event, IspEvent


class Audience(StrEnum):
    ISP = "isp"
    """An ISP's own events: its endpoints and its event stream get its tenant's events only."""
    PLATFORM = "platform"
    """The platform's events, for its operator: every ISP's sign-up, deployment, payments."""


class PublicDevice(BaseModel):
    """A device as the ISP recorded it, without its SNMP access (credentials stay inside)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    device_id: UUID
    name: str
    vendor: str
    model: str
    role: str
    management_ip: str
    site: str


@dataclass(frozen=True)
class PublicEventType:
    """One public event type: the internal event it comes from (`source`, or the cases of it
    `when` accepts) and the fields of it that go out (all but `exclude`; a field's type can be
    narrowed by `narrow`, a public model that ignores what it does not declare)."""

    name: str
    audience: Audience
    description: str
    source: type[Event] | None
    exclude: frozenset[str] = frozenset()
    narrow: Mapping[str, type[BaseModel]] = field(default_factory=dict)
    when: Callable[[Any], bool] | None = None
    model: type[BaseModel] = field(init=False)

    def __post_init__(self) -> None:
        fields: dict[str, Any] = {}
        if self.source is not None:
            for name, info in self.source.model_fields.items():
                if name not in self.exclude:
                    fields[name] = (self.narrow.get(name, info.annotation), info)
        model = create_model(  # type: ignore[call-overload]
            "".join(part.title() for part in self.name.replace("_", ".").split(".")) + "Data",
            __config__=ConfigDict(frozen=True, extra="ignore"),
            __doc__=self.description,
            **fields,
        )
        object.__setattr__(self, "model", model)

    def takes(self, event: Event) -> bool:
        return self.when is None or bool(self.when(event))

    def data(self, event: Event) -> dict[str, Any]:
        """The public part of `event`, as JSON-ready values."""
        public = self.model.model_validate(event.model_dump(exclude=set(self.exclude)))
        return public.model_dump(mode="json")

    def schema(self) -> dict[str, Any]:
        """The JSON schema of the payload's `data`."""
        return self.model.model_json_schema()


def _status(*statuses: str, after: tuple[str, ...] = ()) -> Callable[[Any], bool]:
    def takes(event: BillingStatusChanged) -> bool:
        return event.status in statuses and (not after or event.previous in after)

    return takes


def _kind(kind: str) -> Callable[[Any], bool]:
    def takes(event: DeviceAlertRaised | DeviceAlertCleared) -> bool:
        return event.kind == kind

    return takes


TEST_TYPE = "webhook.test"
"""What "send a test event" sends: to one endpoint only, whatever types it subscribed to."""

CATALOGUE: tuple[PublicEventType, ...] = (
    # The ISP's own.
    PublicEventType(
        "customer.created",
        Audience.ISP,
        "A customer was added (by a person, an API key or an automation rule).",
        CustomerCreated,
    ),
    PublicEventType(
        "customer.status_changed",
        Audience.ISP,
        "A customer moved between lead, active, suspended and cancelled.",
        CustomerStatusChanged,
    ),
    PublicEventType(
        "customer.suspended",
        Audience.ISP,
        "A customer was suspended, by hand or by dunning for overdue invoices: its service is "
        "to be cut off until it is reactivated.",
        CustomerSuspended,
    ),
    PublicEventType(
        "customer.reactivated",
        Audience.ISP,
        "A suspended customer is active again (by hand, or by dunning once payment cleared "
        "what was overdue): its service is to be restored.",
        CustomerReactivated,
    ),
    PublicEventType(
        "customers.imported",
        Audience.ISP,
        "A CSV import of customers was committed (one event per import, not per row).",
        CustomersImported,
    ),
    PublicEventType(
        "subscription.changed",
        Audience.ISP,
        "A customer's service subscription was created, moved to another plan or cancelled.",
        SubscriptionChanged,
    ),
    PublicEventType(
        "ticket.opened",
        Audience.ISP,
        "A support ticket was opened.",
        TicketOpened,
    ),
    PublicEventType(
        "ticket.updated",
        Audience.ISP,
        "A ticket's status, priority, assignee or text changed, or it was commented on.",
        TicketUpdated,
    ),
    PublicEventType(
        "device.added",
        Audience.ISP,
        "A device joined the ISP's inventory (the network service starts polling it).",
        DeviceRegistered,
        narrow={"device": PublicDevice},
    ),
    PublicEventType(
        "device.changed",
        Audience.ISP,
        "A device's record changed: the whole record as it is now.",
        DeviceChanged,
        narrow={"device": PublicDevice},
    ),
    PublicEventType(
        "device.removed",
        Audience.ISP,
        "A device left the ISP's inventory.",
        DeviceRemoved,
    ),
    PublicEventType(
        "device.down",
        Audience.ISP,
        "A device stopped answering the network service's polls (for as many polls in a row "
        "as the ISP allows).",
        DeviceAlertRaised,
        when=_kind("device_unreachable"),
    ),
    PublicEventType(
        "device.up",
        Audience.ISP,
        "A device that was down answers again (and has for the alert's hold-down time).",
        DeviceAlertCleared,
        when=_kind("device_unreachable"),
    ),
    PublicEventType(
        "alert.raised",
        Audience.ISP,
        "An alert was raised on a device: unreachable, an interface down, or an interface "
        "above the ISP's utilisation threshold. Once per alert: a condition that comes back "
        "before it cleared counts on it.",
        DeviceAlertRaised,
    ),
    PublicEventType(
        "alert.cleared",
        Audience.ISP,
        "An alert's condition stayed away for the hold-down time: the alert is over, with how "
        "often it happened while open.",
        DeviceAlertCleared,
    ),
    PublicEventType(
        "usage.threshold_crossed",
        Audience.ISP,
        "The ISP's customers reached 80% or 100% of its tier's cap.",
        UsageThresholdCrossed,
    ),
    PublicEventType(
        "account.tier_changed",
        Audience.ISP,
        "The ISP's move to another tier was paid for (or credited) and took effect.",
        BillingTierChanged,
    ),
    PublicEventType(
        "account.payment_failed",
        Audience.ISP,
        "A payment of the ISP's subscription to the platform failed; it will be retried.",
        BillingStatusChanged,
        when=_status("past_due"),
    ),
    # The platform's, for its operator.
    PublicEventType(
        "isp.registered",
        Audience.PLATFORM,
        "An ISP signed up; its onboarding starts.",
        IspRegistered,
        exclude=frozenset({"payment_method"}),
    ),
    PublicEventType(
        "isp.deployment_started",
        Audience.PLATFORM,
        "An ISP's onboarding began.",
        DeploymentStarted,
        exclude=frozenset({"workflow_id"}),
    ),
    PublicEventType(
        "isp.active",
        Audience.PLATFORM,
        "An ISP's instance is deployed, checked and serving.",
        DeploymentCompleted,
    ),
    PublicEventType(
        "isp.failed",
        Audience.PLATFORM,
        "An ISP's onboarding failed for good (compensation follows if anything was created).",
        DeploymentFailed,
    ),
    PublicEventType(
        "isp.rolled_back",
        Audience.PLATFORM,
        "Everything a failed onboarding created was removed.",
        DeploymentRolledBack,
    ),
    PublicEventType(
        "isp.tier_changed",
        Audience.PLATFORM,
        "An ISP moved to another tier (paid or credited through Stripe).",
        BillingTierChanged,
    ),
    PublicEventType(
        "isp.payment_failed",
        Audience.PLATFORM,
        "An ISP's payment failed; dunning retries it.",
        BillingStatusChanged,
        when=_status("past_due"),
    ),
    PublicEventType(
        "isp.payment_recovered",
        Audience.PLATFORM,
        "A payment put a past-due or suspended ISP right again.",
        BillingStatusChanged,
        when=_status("active", after=("past_due", "suspended")),
    ),
    PublicEventType(
        "isp.suspended",
        Audience.PLATFORM,
        "Dunning ran out: the ISP is suspended (its licence too).",
        BillingStatusChanged,
        when=_status("suspended"),
    ),
    PublicEventType(
        "isp.cancelled",
        Audience.PLATFORM,
        "The ISP's account is cancelled: by dunning, or at the end of its own offboarding.",
        BillingStatusChanged,
        when=_status("cancelled"),
    ),
    PublicEventType(
        "isp.cancellation_requested",
        Audience.PLATFORM,
        "An ISP's owner cancelled the service; offboarding follows after a grace period.",
        CancellationRequested,
        exclude=frozenset({"requested_by"}),
    ),
    PublicEventType(
        "isp.offboarded",
        Audience.PLATFORM,
        "An ISP's instance, DNS, tenant and data are gone.",
        OffboardingCompleted,
    ),
    PublicEventType(
        "demo.requested",
        Audience.PLATFORM,
        "A prospect asked for a demo.",
        DemoRequested,
    ),
    PublicEventType(
        "demo.converted",
        Audience.PLATFORM,
        "A demo became a paid ISP, keeping its data.",
        DemoConverted,
    ),
)

TEST_EVENT = PublicEventType(
    TEST_TYPE,
    Audience.ISP,
    "A test, sent on request to one endpoint: it changes nothing.",
    None,
)

BY_NAME: dict[str, PublicEventType] = {t.name: t for t in CATALOGUE}
BY_SUBJECT: dict[str, tuple[PublicEventType, ...]] = {}
for _type in CATALOGUE:
    assert _type.source is not None
    BY_SUBJECT[_type.source.subject] = (*BY_SUBJECT.get(_type.source.subject, ()), _type)


def public_types(audience: Audience) -> tuple[PublicEventType, ...]:
    return tuple(t for t in CATALOGUE if t.audience is audience)


@dataclass(frozen=True)
class PublicMessage:
    """One public event, ready to send: its id is the same however often the event that made
    it is delivered to us, so a receiver can drop a duplicate by `webhook-id`."""

    id: str
    type: str
    audience: Audience
    tenant_id: UUID | None
    """The ISP it belongs to (ISP audience); None for the platform's."""
    occurred_at: datetime
    body: bytes


def message_id(event_id: str, type_name: str) -> str:
    return "msg_" + uuid5(NAMESPACE_URL, f"dotmac:{event_id}:{type_name}").hex


def render(type_: PublicEventType, data: Mapping[str, Any], occurred_at: datetime) -> bytes:
    """The payload of a delivery: Standard Webhooks' `type`, `timestamp` and `data`."""
    timestamp = occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    body = {"type": type_.name, "timestamp": timestamp, "data": data}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def publicise(event: Event, *, event_id: str, occurred_at: datetime) -> list[PublicMessage]:
    """The public messages one internal event makes (none, for most)."""
    messages = []
    for type_ in BY_SUBJECT.get(event.subject, ()):
        if not type_.takes(event):
            continue
        tenant = event.isp_id if isinstance(event, IspEvent) else None
        messages.append(
            PublicMessage(
                id=message_id(event_id, type_.name),
                type=type_.name,
                audience=type_.audience,
                tenant_id=tenant if type_.audience is Audience.ISP else None,
                occurred_at=occurred_at,
                body=render(type_, type_.data(event), occurred_at),
            )
        )
    return messages
