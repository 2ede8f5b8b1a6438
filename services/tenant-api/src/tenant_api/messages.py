"""Domain events and commands: what one tenant-api context tells the others, as plain data.

Events say what happened (any number of handlers react, or none); commands ask for something
to be done (exactly one handler). See `tenant_api.messagebus`."""

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from tenant_api.vocabulary import CustomerStatus, Priority


class Event:
    """Something that happened at an ISP, for whoever reacts to it."""


class Command:
    """Something one context asks another to do."""


@dataclass(frozen=True)
class CustomerCreated(Event):
    customer_id: UUID
    by: str


@dataclass(frozen=True)
class CustomerStatusChanged(Event):
    customer_id: UUID
    before: CustomerStatus
    after: CustomerStatus
    reason: str | None
    by: str


@dataclass(frozen=True)
class TicketOpened(Event):
    ticket_id: UUID
    customer_id: UUID | None
    by: str


@dataclass(frozen=True)
class TicketUpdated(Event):
    """A ticket changed: `changes` names what (status, priority, assignee, subject,
    description, customer, comment)."""

    ticket_id: UUID
    changes: tuple[str, ...]
    by: str
    previous_status: str | None = None
    """The status it moved from, when "status" is among the changes."""
    comment_id: UUID | None = None


@dataclass(frozen=True)
class SubscriptionChanged(Event):
    """A subscription was created, replaced another (a plan change) or was cancelled. It
    carries the subscription's terms because a cancelled customer's subscriptions end in one
    statement, with no rows loaded to read them from."""

    subscription_id: UUID
    customer_id: UUID
    plan_id: UUID
    change: str
    """created, plan_changed or cancelled"""
    starts_on: date
    ends_on: date | None
    by: str
    previous_id: UUID | None = None
    previous_plan_id: UUID | None = None
    reason: str | None = None


@dataclass(frozen=True)
class PaymentReceived(Event):
    """A payment to a customer's account was recorded and allocated to its open invoices."""

    customer_id: UUID
    payment_id: UUID
    by: str


@dataclass(frozen=True)
class ChangeCustomerStatus(Command):
    """Move a customer to another status (dunning suspends and reactivates); answers the
    customer's status after it."""

    customer_id: UUID
    status: CustomerStatus
    reason: str | None
    by: str


@dataclass(frozen=True)
class TagCustomer(Command):
    """Add a tag; answers what was done (or why nothing was)."""

    customer_id: UUID
    tag: str


@dataclass(frozen=True)
class OpenTicket(Command):
    """Open a ticket; answers its number."""

    subject: str
    description: str | None
    priority: Priority
    customer_id: UUID | None
    by: str


@dataclass(frozen=True)
class SetTicketPriority(Command):
    ticket_id: UUID
    priority: Priority
    by: str


@dataclass(frozen=True)
class AssignTicket(Command):
    """Refused (UnprocessableContent) if the assignee is not an active user."""

    ticket_id: UUID
    assignee_id: UUID
    by: str


@dataclass(frozen=True)
class CommentOnTicket(Command):
    ticket_id: UUID
    body: str
    by: str
