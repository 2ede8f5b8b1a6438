from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dotmac_contracts.registry import Event, IspEvent, event_type
from dotmac_contracts.vocabulary import Tier


@event_type("dotmac.tenant.tenant.activated.v1")
class TenantActivated(IspEvent):
    """The ISP's tenant in the ISP framework accepts its users. The tenant id is the ISP id."""

    isp_id: UUID
    slug: str
    tier: Tier
    host: str
    activated_at: datetime


@event_type("dotmac.tenant.tenant.used.v1")
class TenantUsed(IspEvent):
    """Someone signed in to, or worked in, a demo tenant (at most once an hour per tenant):
    the demo lifecycle extends the demo."""

    used_at: datetime


class CustomerCount(BaseModel):
    """How many customers one ISP has (those not cancelled: what its tier's cap counts)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    isp_id: UUID
    customers: int = Field(ge=0)
    counted_at: datetime


MAX_COUNTS = 500


@event_type("dotmac.tenant.customers.counted.v2")
class CustomersCounted(Event):
    """How many customers ISPs have now: each ISP whose count changed since the last of these,
    once (billing meters them and warns near the cap; licensing checks tier changes against
    them). tenant-api publishes one every few seconds while counts change, rather than one per
    customer added: a count is a state, and only an ISP's latest matters. A count older than
    the one a consumer keeps changes nothing there."""

    counts: list[CustomerCount] = Field(min_length=1, max_length=MAX_COUNTS)

    @field_validator("counts")
    @classmethod
    def _one_per_isp(cls, counts: list[CustomerCount]) -> list[CustomerCount]:
        if len({c.isp_id for c in counts}) != len(counts):
            raise ValueError("one count per ISP")
        return counts

    def ce_subject(self) -> str:
        return "customer-counts"


@event_type("dotmac.tenant.tickets.counted.v1")
class TicketsCounted(IspEvent):
    """How many of an ISP's support tickets are open or pending now, after one opened or moved
    (the operator's health score of the ISP weighs them)."""

    isp_id: UUID
    open_tickets: int = Field(ge=0)
    counted_at: datetime


# --- The ISP's own business: its customers, their subscriptions, its support tickets. -------------
# What an ISP's webhooks deliver to its own systems.

CustomerStatus = Literal["lead", "active", "suspended", "cancelled"]
TicketStatus = Literal["open", "pending", "resolved", "closed"]
TicketPriority = Literal["low", "normal", "high", "urgent"]
BY = (
    "Who: user:<id>, api_key:<id>, automation:<rule id> or dunning; sample data loaded into a "
    "demo names what it stands for (customer:<account number>, network, sample data)"
)


@event_type("dotmac.tenant.customer.created.v1")
class CustomerCreated(IspEvent):
    """The ISP added a customer, one at a time (a CSV import announces itself once, as
    `CustomersImported`)."""

    customer_id: UUID
    account_number: str = Field(description="The ISP's reference for the customer")
    name: str
    email: str | None
    status: CustomerStatus = Field(description="A new customer is a lead or active")
    by: str = Field(description=BY)
    created_at: datetime


@event_type("dotmac.tenant.customer.status_changed.v1")
class CustomerStatusChanged(IspEvent):
    """A customer moved along lead -> active <-> suspended -> cancelled. Cancelling also ends
    its subscriptions (each announced as `SubscriptionChanged`)."""

    customer_id: UUID
    previous: CustomerStatus
    status: CustomerStatus
    reason: str | None = Field(description="Why, as the ISP put it (given to suspend or cancel)")
    by: str = Field(description=BY)
    changed_at: datetime


@event_type("dotmac.tenant.customer.suspended.v1")
class CustomerSuspended(IspEvent):
    """A customer was suspended: its service is to be cut off (the network enforces it) until
    `CustomerReactivated`. By hand, or by the ISP's dunning after its invoices stayed unpaid
    for the days the ISP allows (`dunning`). Also announced as `CustomerStatusChanged`."""

    customer_id: UUID
    account_number: str = Field(description="The ISP's reference for the customer")
    reason: str | None = Field(description="Why, as the ISP (or its dunning) put it")
    dunning: bool = Field(description="Suspended by dunning for overdue invoices, not by hand")
    by: str = Field(description=BY)
    suspended_at: datetime


@event_type("dotmac.tenant.customer.reactivated.v1")
class CustomerReactivated(IspEvent):
    """A suspended customer is active again: its service is to be restored. By hand, or by
    dunning once payments cleared what was overdue (`dunning`)."""

    customer_id: UUID
    account_number: str = Field(description="The ISP's reference for the customer")
    reason: str | None
    dunning: bool = Field(description="Reactivated by dunning, as its payment cleared the debt")
    by: str = Field(description=BY)
    reactivated_at: datetime


@event_type("dotmac.tenant.customers.imported.v1")
class CustomersImported(IspEvent):
    """A CSV import of customers was committed: every customer of it was created (with its
    subscription, if the row named a plan) in one transaction. One event per import, not one
    per customer."""

    import_id: UUID
    created: int = Field(ge=0, description="Customers created")
    skipped: int = Field(ge=0, description="Rows left out as repeats of another customer")
    subscriptions: int = Field(ge=0, description="Subscriptions started with them")
    by: str = Field(description=BY)
    imported_at: datetime


@event_type("dotmac.tenant.ticket.opened.v1")
class TicketOpened(IspEvent):
    """A support ticket was opened, by the ISP's staff, an API client or an automation rule."""

    ticket_id: UUID
    number: int = Field(ge=1, description="The ISP's ticket number")
    title: str = Field(description="The ticket's subject line (`subject` in the tickets API)")
    priority: TicketPriority
    status: TicketStatus
    customer_id: UUID | None = Field(description="The customer it is about, if any")
    assignee_id: UUID | None = Field(description="The user of the ISP working on it, if any")
    by: str = Field(description=BY)
    opened_at: datetime


@event_type("dotmac.tenant.ticket.updated.v1")
class TicketUpdated(IspEvent):
    """A support ticket changed: it moved (status), or its priority, assignee, subject,
    description or customer changed, or someone commented on it. The ticket as it is now."""

    ticket_id: UUID
    number: int = Field(ge=1)
    status: TicketStatus
    previous_status: TicketStatus | None = Field(
        description="The status it moved from; null when the status did not change"
    )
    priority: TicketPriority
    assignee_id: UUID | None
    customer_id: UUID | None
    changes: list[str] = Field(
        description="What changed, of: status, priority, assignee, subject, description, "
        "customer, comment"
    )
    comment_id: UUID | None = Field(description="The comment added, when `changes` has comment")
    by: str = Field(description=BY)
    updated_at: datetime


@event_type("dotmac.tenant.subscription.changed.v1")
class SubscriptionChanged(IspEvent):
    """A customer's subscription to a plan changed: it was created, it replaced another one
    (a plan change: the old one ends the day this one starts), or it was cancelled (by the ISP,
    or because its customer was cancelled). A subscription runs from `starts_on` up to, not
    including, `ends_on`."""

    subscription_id: UUID
    customer_id: UUID
    plan_id: UUID
    change: Literal["created", "plan_changed", "cancelled"]
    starts_on: date
    ends_on: date | None = Field(description="The first day without it; null: open-ended")
    previous_subscription_id: UUID | None = Field(
        description="plan_changed: the subscription it replaced"
    )
    previous_plan_id: UUID | None = Field(description="plan_changed: the plan it replaced")
    reason: str | None = Field(description="cancelled: why, as the ISP put it")
    by: str = Field(description=BY)
    changed_at: datetime


class SnmpAccess(BaseModel):
    """How to poll a device. The community or v3 keys travel only sealed, with the key the
    platform's services share (`DOTMAC_DEVICE_SECRETS_KEYS`), never in plain text."""

    model_config = ConfigDict(frozen=True)

    version: Literal["v1", "v2c", "v3"]
    port: int = Field(ge=1, le=65535)
    username: str | None = None
    auth_protocol: str | None = None
    privacy_protocol: str | None = None
    sealed_secrets: str


class DeviceRecord(BaseModel):
    """A network device as the ISP recorded it."""

    model_config = ConfigDict(frozen=True)

    device_id: UUID
    name: str
    vendor: str
    model: str
    role: str
    management_ip: str
    site: str
    snmp: SnmpAccess


@event_type("dotmac.tenant.device.registered.v1")
class DeviceRegistered(IspEvent):
    """An ISP added a device to its inventory: the network service starts polling it."""

    isp_id: UUID
    device: DeviceRecord
    registered_at: datetime


@event_type("dotmac.tenant.device.changed.v1")
class DeviceChanged(IspEvent):
    """A device's record changed (address, site, SNMP access...): the whole record as it is now."""

    isp_id: UUID
    device: DeviceRecord
    changed_at: datetime


@event_type("dotmac.tenant.device.removed.v1")
class DeviceRemoved(IspEvent):
    """A device left the ISP's inventory: the network service stops polling it."""

    isp_id: UUID
    device_id: UUID
    removed_at: datetime
