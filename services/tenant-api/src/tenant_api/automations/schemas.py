"""Automation rules (advanced_automation): when something happens at the ISP (a trigger), and the
facts about it meet every condition, the rule's actions run in the same transaction.

Each trigger offers a fixed set of facts to test and of placeholders to fill message templates
with; a rule that names anything else is refused when it is saved, never when it runs."""

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from servicekit.validation import Body, Kept, Label, Name
from tenant_api.listing import Page
from tenant_api.vocabulary import Priority, Tag


class Trigger(StrEnum):
    CUSTOMER_CREATED = "customer.created"
    CUSTOMER_STATUS_CHANGED = "customer.status_changed"
    TICKET_OPENED = "ticket.opened"


_CUSTOMER_FACTS = ("customer.kind", "customer.status", "customer.tags", "customer.country")
FACTS: dict[Trigger, tuple[str, ...]] = {
    Trigger.CUSTOMER_CREATED: _CUSTOMER_FACTS,
    Trigger.CUSTOMER_STATUS_CHANGED: (*_CUSTOMER_FACTS, "status.from", "status.to"),
    Trigger.TICKET_OPENED: (
        "ticket.priority",
        "ticket.has_customer",
        "customer.kind",
        "customer.tags",
    ),
}
"""The facts each trigger offers to conditions. Tags are a list: test them with `contains`."""

_CUSTOMER_TEXT = ("customer.name", "customer.account_number")
PLACEHOLDERS: dict[Trigger, tuple[str, ...]] = {
    Trigger.CUSTOMER_CREATED: _CUSTOMER_TEXT,
    Trigger.CUSTOMER_STATUS_CHANGED: (*_CUSTOMER_TEXT, "status.from", "status.to", "status.reason"),
    Trigger.TICKET_OPENED: ("ticket.number", "ticket.subject", "ticket.priority"),
}
"""What `{...}` may stand for in a template, per trigger."""

LIST_FACTS = frozenset({"customer.tags"})
PLACEHOLDER = re.compile(r"\{([a-z_]+\.[a-z_]+)\}")


class Condition(BaseModel):
    """`equals`/`not_equals` compare a fact with one value, `in` with several; `contains` asks
    whether a list fact (tags) holds the value."""

    model_config = ConfigDict(extra="forbid")

    fact: str = Field(max_length=40, description="one of the facts the trigger offers")
    op: Literal["equals", "not_equals", "in", "contains"] = "equals"
    value: Label | Annotated[list[Label], Field(min_length=1, max_length=20)]

    @model_validator(mode="after")
    def _value_fits_op(self) -> Self:
        if (self.op == "in") != isinstance(self.value, list):
            raise ValueError("`in` takes a list of values; the other operators take one value")
        if (self.op == "contains") != (self.fact in LIST_FACTS):
            raise ValueError(f"use `contains` for {', '.join(sorted(LIST_FACTS))}, and only there")
        return self


class AddTag(BaseModel):
    """Tag the customer (the ticket's customer, for tickets; skipped when it has none)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["add_tag"]
    tag: Tag


class OpenTicket(BaseModel):
    """Open a ticket about the customer."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["open_ticket"]
    subject: Name
    description: Body | None = None
    priority: Priority = Priority.NORMAL


class SetPriority(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["set_priority"]
    priority: Priority


class AssignTicket(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["assign_ticket"]
    assignee_id: UUID = Field(description="an active user of this ISP")


class CommentOnTicket(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["comment"]
    body: Body


Action = Annotated[
    AddTag | OpenTicket | SetPriority | AssignTicket | CommentOnTicket,
    Field(discriminator="type"),
]
TICKET_ACTIONS = frozenset({"set_priority", "assign_ticket", "comment"})
CUSTOMER_ACTIONS = frozenset({"open_ticket"})


def templates_of(
    action: AddTag | OpenTicket | SetPriority | AssignTicket | CommentOnTicket,
) -> list[str]:
    match action:
        case OpenTicket():
            return [action.subject, action.description or ""]
        case CommentOnTicket():
            return [action.body]
    return []


def check_rule(
    trigger: Trigger,
    conditions: list[Condition],
    actions: list[AddTag | OpenTicket | SetPriority | AssignTicket | CommentOnTicket],
) -> None:
    """Every fact, placeholder and action must make sense for the trigger."""
    offered = FACTS[trigger]
    for condition in conditions:
        if condition.fact not in offered:
            raise ValueError(
                f"{trigger.value} offers the facts {', '.join(offered)}; not {condition.fact}"
            )
    for action in actions:
        on_ticket = trigger is Trigger.TICKET_OPENED
        if action.type in TICKET_ACTIONS and not on_ticket:
            raise ValueError(f"{action.type} acts on a ticket: use it with ticket.opened")
        if action.type in CUSTOMER_ACTIONS and on_ticket:
            raise ValueError(f"{action.type} needs a customer trigger, not ticket.opened")
        for template in templates_of(action):
            for name in PLACEHOLDER.findall(template):
                if name not in PLACEHOLDERS[trigger]:
                    raise ValueError(
                        f"{{{name}}} is not known to {trigger.value}; it knows "
                        + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS[trigger])
                    )


class RuleCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Retention call when a business customer cancels",
                    "trigger": "customer.status_changed",
                    "conditions": [
                        {"fact": "status.to", "op": "equals", "value": "cancelled"},
                        {"fact": "customer.kind", "op": "equals", "value": "business"},
                    ],
                    "actions": [
                        {
                            "type": "open_ticket",
                            "subject": "Retention call: {customer.name} cancelled",
                            "description": "Reason given: {status.reason}",
                            "priority": "high",
                        }
                    ],
                }
            ]
        },
    )

    name: Name
    trigger: Trigger
    conditions: Annotated[list[Condition], Field(max_length=10)] = []
    actions: Annotated[list[Action], Field(min_length=1, max_length=10)]
    enabled: bool = True

    @model_validator(mode="after")
    def _fits_trigger(self) -> Self:
        check_rule(self.trigger, self.conditions, self.actions)
        return self


class RuleUpdate(BaseModel):
    """Only the fields sent change. The trigger stays: make a new rule for another."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"enabled": False}]})

    name: Kept[Name] = None
    conditions: Kept[Annotated[list[Condition], Field(max_length=10)]] = None
    actions: Kept[Annotated[list[Action], Field(min_length=1, max_length=10)]] = None
    enabled: Kept[bool] = None


class RuleRead(BaseModel):
    id: UUID
    name: str
    trigger: Trigger
    conditions: list[Condition]
    actions: list[Action]
    enabled: bool
    runs: int = Field(description="how many times its actions ran")
    last_run_at: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime


RulePage = Page[RuleRead]


class RunRead(BaseModel):
    id: UUID
    rule_id: UUID
    trigger: Trigger
    subject_id: UUID = Field(description="the customer or ticket the trigger was about")
    done: list[str] = Field(description="what each action did, or why it did nothing")
    ran_at: datetime


RunPage = Page[RunRead]
