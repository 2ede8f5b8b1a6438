"""Automations' SQL: rules, their runs, and the customer or ticket a trigger is about."""

from typing import Any
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenant_api.automations.schemas import Trigger
from tenant_api.models import AutomationRule, AutomationRun, Customer, Ticket


async def get(session: AsyncSession, rule_id: UUID) -> AutomationRule | None:
    return await session.get(AutomationRule, rule_id)


async def enabled_rules(session: AsyncSession, trigger: Trigger) -> list[AutomationRule]:
    found = await session.execute(
        select(AutomationRule)
        .where(AutomationRule.trigger == trigger.value, AutomationRule.enabled)
        .order_by(AutomationRule.created_at, AutomationRule.id)
    )
    return list(found.scalars())


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


async def customer(session: AsyncSession, customer_id: UUID) -> Customer | None:
    return await session.get(Customer, customer_id)


async def ticket(session: AsyncSession, ticket_id: UUID) -> Ticket | None:
    return await session.get(Ticket, ticket_id)
