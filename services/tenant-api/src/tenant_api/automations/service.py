"""Saving rules, and running them when their trigger happens.

`run_rules` is called by the endpoint that made the change, inside its transaction, after the
change itself: the actions commit with it or not at all. Actions do not trigger further rules
(a ticket a rule opens runs no ticket.opened rules), so rules cannot loop. Bulk loads (imports,
demo data) run no rules."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.vocabulary import Plugin
from servicekit.problems import NotFound, UnprocessableContent
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
from tenant_api.models import AutomationRule, AutomationRun, Customer, Ticket
from tenant_api.tickets import service as tickets
from tenant_api.tickets.schemas import SLA, CommentCreate, Priority, TicketCreate

PLUGIN = Plugin.ADVANCED_AUTOMATION
_ACTIONS: TypeAdapter[list[Action]] = TypeAdapter(list[Action])
_CONDITIONS: TypeAdapter[list[Condition]] = TypeAdapter(list[Condition])


@dataclass
class Happening:
    """What a trigger is about, as the rules see it."""

    trigger: Trigger
    subject_id: UUID
    facts: dict[str, Any]
    text: dict[str, str]
    customer: Customer | None = None
    ticket: Ticket | None = None


def customer_created(customer: Customer) -> Happening:
    return Happening(
        Trigger.CUSTOMER_CREATED,
        customer.id,
        _customer_facts(customer),
        _customer_text(customer),
        customer=customer,
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
        customer=customer,
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
        customer=customer,
        ticket=ticket,
    )


async def run_rules(
    session: AsyncSession, tenant_id: UUID, happening: Happening, *, sla: bool, now: datetime
) -> list[AutomationRun]:
    """Run every enabled rule of the trigger whose conditions hold, oldest rule first."""
    rules = (
        await session.execute(
            select(AutomationRule)
            .where(AutomationRule.trigger == happening.trigger.value, AutomationRule.enabled)
            .order_by(AutomationRule.created_at, AutomationRule.id)
        )
    ).scalars()
    ran = []
    for rule in list(rules):
        if not all(
            _holds(c, happening.facts) for c in _CONDITIONS.validate_python(rule.conditions)
        ):
            continue
        done = [
            await _act(session, tenant_id, action, happening, rule=rule, sla=sla, now=now)
            for action in _ACTIONS.validate_python(rule.actions)
        ]
        run = AutomationRun(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            rule_id=rule.id,
            trigger=happening.trigger.value,
            subject_id=happening.subject_id,
            done=done,
            ran_at=now,
        )
        session.add(run)
        rule.runs += 1
        rule.last_run_at = now
        ran.append(run)
    await session.flush()
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


async def _act(
    session: AsyncSession,
    tenant_id: UUID,
    action: Any,
    happening: Happening,
    *,
    rule: AutomationRule,
    sla: bool,
    now: datetime,
) -> str:
    by = f"automation:{rule.id}"
    customer, ticket = happening.customer, happening.ticket
    match action:
        case AddTag():
            if customer is None:
                return f"add tag {action.tag}: the ticket has no customer"
            if action.tag in (customer.tags or []):
                return f"add tag {action.tag}: already tagged"
            if len(customer.tags or []) >= 20:
                return f"add tag {action.tag}: the customer has 20 tags already"
            customer.tags = [*(customer.tags or []), action.tag]
            customer.updated_at = now
            return f"tagged the customer {action.tag}"
        case OpenTicket():
            assert customer is not None
            opened = await tickets.open_ticket(
                session,
                tenant_id,
                TicketCreate(
                    subject=_fill(action.subject, happening.text)[:200],
                    description=_fill(action.description, happening.text)[:5000]
                    if action.description
                    else None,
                    priority=action.priority,
                    customer_id=customer.id,
                ),
                sla=sla,
                now=now,
                by=by,
            )
            return f"opened ticket #{opened.number}"
        case SetPriority():
            assert ticket is not None
            ticket.priority = action.priority.value
            if sla:
                ticket.sla_due_at = ticket.created_at + SLA[Priority(ticket.priority)]
            return f"set the priority to {action.priority.value}"
        case AssignTicket():
            assert ticket is not None
            try:
                await tickets.check_assignee(session, action.assignee_id)
            except UnprocessableContent:
                return "assign: the assignee is no longer an active user"
            ticket.assignee_id = action.assignee_id
            return f"assigned the ticket to user {action.assignee_id}"
        case CommentOnTicket():
            assert ticket is not None
            await tickets.comment(
                session,
                tenant_id,
                ticket.id,
                CommentCreate(body=_fill(action.body, happening.text)[:5000]),
                author_id=None,
                by=by,
                now=now,
            )
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
    rule = await session.get(AutomationRule, rule_id)
    if rule is None:
        raise NotFound(f"No automation rule {rule_id} at this ISP.")
    return rule


async def update_rule(
    session: AsyncSession, rule_id: UUID, change: RuleUpdate, *, now: datetime
) -> AutomationRule:
    rule = await get_rule(session, rule_id)
    fields = change.model_fields_set
    for required in ("name", "conditions", "actions", "enabled"):
        if required in fields and getattr(change, required) is None:
            raise UnprocessableContent(f"A rule's {required} cannot be cleared.", field=required)
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
    query = select(AutomationRule).order_by(AutomationRule.created_at, AutomationRule.id)
    if trigger is not None:
        query = query.where(AutomationRule.trigger == trigger.value)
    return query


def runs(rule_id: UUID) -> Select[Any]:
    return (
        select(AutomationRun)
        .where(AutomationRun.rule_id == rule_id)
        .order_by(AutomationRun.ran_at.desc(), AutomationRun.id)
    )


async def _check_assignees(session: AsyncSession, actions: list[Any]) -> None:
    for action in actions:
        if isinstance(action, AssignTicket):
            await tickets.check_assignee(session, action.assignee_id)


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
