"""Saving rules, and running them when their trigger happens.

Rules run when the customers or support context raises the domain event of their trigger
(`tenant_api.automations.handlers`), inside that change's unit of work, after the change itself:
the actions commit with it or not at all. Actions are commands to the context that owns what
they change (tag a customer, open or assign a ticket). They do not trigger further rules (a
ticket a rule opens runs no ticket.opened rules), so rules cannot loop. Bulk loads (imports,
demo data) raise no events and so run no rules."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.vocabulary import Plugin
from servicekit.problems import NotFound, UnprocessableContent
from tenant_api import messages
from tenant_api.automations import repository
from tenant_api.automations.schemas import (
    PLACEHOLDER,
    Action,
    AddTag,
    AssignTicket,
    CommentOnTicket,
    Condition,
    OpenTicket,
    RuleCreate,
    RuleUpdate,
    SetPriority,
    Trigger,
    check_rule,
)
from tenant_api.identity.users import service as users
from tenant_api.messagebus import UnitOfWork
from tenant_api.models import AutomationRule, AutomationRun, Customer, Ticket

PLUGIN = Plugin.ADVANCED_AUTOMATION
BY_AUTOMATION = "automation:"
"""How what a rule does is signed (`automation:<rule id>`)."""
_ACTIONS: TypeAdapter[list[Action]] = TypeAdapter(list[Action])
_CONDITIONS: TypeAdapter[list[Condition]] = TypeAdapter(list[Condition])


@dataclass
class Happening:
    """What a trigger is about, as the rules see it."""

    trigger: Trigger
    subject_id: UUID
    facts: dict[str, Any]
    text: dict[str, str]
    customer_id: UUID | None = None
    ticket_id: UUID | None = None


def customer_created(customer: Customer) -> Happening:
    return Happening(
        Trigger.CUSTOMER_CREATED,
        customer.id,
        _customer_facts(customer),
        _customer_text(customer),
        customer_id=customer.id,
    )


def customer_status_changed(customer: Customer, before: str) -> Happening:
    return Happening(
        Trigger.CUSTOMER_STATUS_CHANGED,
        customer.id,
        {**_customer_facts(customer), "status.from": before, "status.to": customer.status},
        {
            **_customer_text(customer),
            "status.from": before,
            "status.to": customer.status,
            "status.reason": customer.status_reason or "",
        },
        customer_id=customer.id,
    )


def ticket_opened(ticket: Ticket, customer: Customer | None) -> Happening:
    return Happening(
        Trigger.TICKET_OPENED,
        ticket.id,
        {
            "ticket.priority": ticket.priority,
            "ticket.has_customer": "true" if customer is not None else "false",
            "customer.kind": customer.kind if customer else None,
            "customer.tags": list(customer.tags or []) if customer else [],
        },
        {
            "ticket.number": str(ticket.number),
            "ticket.subject": ticket.subject,
            "ticket.priority": ticket.priority,
        },
        customer_id=customer.id if customer else None,
        ticket_id=ticket.id,
    )


async def run_rules(work: UnitOfWork, happening: Happening) -> list[AutomationRun]:
    """Run every enabled rule of the trigger whose conditions hold, oldest rule first."""
    ran = []
    for rule in await repository.enabled_rules(work.session, happening.trigger):
        if not all(
            _holds(c, happening.facts) for c in _CONDITIONS.validate_python(rule.conditions)
        ):
            continue
        done = [
            await _act(work, action, happening, rule=rule)
            for action in _ACTIONS.validate_python(rule.actions)
        ]
        run = AutomationRun(
            id=uuid.uuid4(),
            tenant_id=work.tenant_id,
            rule_id=rule.id,
            trigger=happening.trigger.value,
            subject_id=happening.subject_id,
            done=done,
            ran_at=work.now,
        )
        work.session.add(run)
        rule.runs += 1
        rule.last_run_at = work.now
        ran.append(run)
    await work.flush()
    return ran


def _holds(condition: Condition, facts: dict[str, Any]) -> bool:
    fact = facts.get(condition.fact)
    match condition.op:
        case "equals":
            return fact == condition.value
        case "not_equals":
            return fact != condition.value
        case "in":
            return fact in condition.value
        case "contains":
            return isinstance(fact, list) and condition.value in fact
    return False


def _fill(template: str, text: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: text.get(m.group(1), m.group(0)), template)


async def _act(work: UnitOfWork, action: Any, happening: Happening, *, rule: AutomationRule) -> str:
    by = f"{BY_AUTOMATION}{rule.id}"
    customer_id, ticket_id = happening.customer_id, happening.ticket_id
    match action:
        case AddTag():
            if customer_id is None:
                return f"add tag {action.tag}: the ticket has no customer"
            outcome: str = await work.execute(messages.TagCustomer(customer_id, action.tag))
            return outcome
        case OpenTicket():
            assert customer_id is not None
            number = await work.execute(
                messages.OpenTicket(
                    subject=_fill(action.subject, happening.text)[:200],
                    description=_fill(action.description, happening.text)[:5000]
                    if action.description
                    else None,
                    priority=action.priority,
                    customer_id=customer_id,
                    by=by,
                )
            )
            return f"opened ticket #{number}"
        case SetPriority():
            assert ticket_id is not None
            await work.execute(messages.SetTicketPriority(ticket_id, action.priority, by))
            return f"set the priority to {action.priority.value}"
        case AssignTicket():
            assert ticket_id is not None
            try:
                await work.execute(messages.AssignTicket(ticket_id, action.assignee_id, by))
            except UnprocessableContent:
                return "assign: the assignee is no longer an active user"
            return f"assigned the ticket to user {action.assignee_id}"
        case CommentOnTicket():
            assert ticket_id is not None
            body = _fill(action.body, happening.text)[:5000]
            await work.execute(messages.CommentOnTicket(ticket_id, body, by))
            return "commented on the ticket"
    raise AssertionError(action)


# --- Managing rules ------------------------------------------------------------------------------


async def create_rule(
    session: AsyncSession, tenant_id: UUID, spec: RuleCreate, *, now: datetime, by: str
) -> AutomationRule:
    await _check_assignees(session, spec.actions)
    rule = AutomationRule(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        name=spec.name,
        trigger=spec.trigger.value,
        conditions=[c.model_dump(mode="json") for c in spec.conditions],
        actions=[a.model_dump(mode="json") for a in spec.actions],
        enabled=spec.enabled,
        runs=0,
        created_by=by,
        created_at=now,
        updated_at=now,
    )
    session.add(rule)
    await session.flush()
    return rule


async def get_rule(session: AsyncSession, rule_id: UUID) -> AutomationRule:
    rule = await repository.get(session, rule_id)
    if rule is None:
        raise NotFound(f"No automation rule {rule_id} at this ISP.")
    return rule


async def update_rule(
    session: AsyncSession, rule_id: UUID, change: RuleUpdate, *, now: datetime
) -> AutomationRule:
    rule = await get_rule(session, rule_id)
    conditions = (
        change.conditions
        if change.conditions is not None
        else _CONDITIONS.validate_python(rule.conditions)
    )
    actions = (
        change.actions if change.actions is not None else _ACTIONS.validate_python(rule.actions)
    )
    try:
        check_rule(Trigger(rule.trigger), conditions, actions)
    except ValueError as error:
        raise UnprocessableContent(str(error), field="actions") from error
    await _check_assignees(session, actions)
    if change.name is not None:
        rule.name = change.name
    if change.enabled is not None:
        rule.enabled = change.enabled
    rule.conditions = [c.model_dump(mode="json") for c in conditions]
    rule.actions = [a.model_dump(mode="json") for a in actions]
    rule.updated_at = now
    await session.flush()
    return rule


async def delete_rule(session: AsyncSession, rule_id: UUID) -> None:
    await session.delete(await get_rule(session, rule_id))
    await session.flush()


def rules(trigger: Trigger | None = None) -> Select[Any]:
    return repository.rules(trigger)


def runs(rule_id: UUID) -> Select[Any]:
    return repository.runs(rule_id)


async def _check_assignees(session: AsyncSession, actions: list[Any]) -> None:
    for action in actions:
        if isinstance(action, AssignTicket) and not await users.is_active(
            session, action.assignee_id
        ):
            raise UnprocessableContent(
                f"No active user {action.assignee_id} at this ISP to assign the ticket to.",
                field="assignee_id",
            )


def _customer_facts(customer: Customer) -> dict[str, Any]:
    address = customer.service_address or customer.contact_address or {}
    return {
        "customer.kind": customer.kind,
        "customer.status": customer.status,
        "customer.tags": list(customer.tags or []),
        "customer.country": address.get("country"),
    }


def _customer_text(customer: Customer) -> dict[str, str]:
    return {"customer.name": customer.name, "customer.account_number": customer.account_number}
