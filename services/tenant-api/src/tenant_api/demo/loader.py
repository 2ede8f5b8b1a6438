"""Loading a scenario into a tenant: every row in bulk, in one transaction, so a scenario is
either all there or not at all. A tenant takes a scenario only while it has no customers, plans
or devices of its own, and only if the scenario fits under its customer cap."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dotmac_contracts.events import DeviceRegistered
from servicekit.db import insert_rows
from servicekit.outbox import Outbox
from servicekit.problems import Conflict
from servicekit.sealing import Sealer
from tenant_api.automations.schemas import RuleCreate
from tenant_api.customers.service import Cap, check_cap, lock_customers, publish_count
from tenant_api.demo.scenarios import DemoAutomation, DemoSnmp, Scenario
from tenant_api.devices.schemas import SnmpCommunity, SnmpUser
from tenant_api.devices.service import record, snmp_columns
from tenant_api.models import (
    AccountNumbers,
    AutomationRule,
    Customer,
    CustomerStatusChange,
    Device,
    ServicePlan,
    Subscription,
    Ticket,
    TicketComment,
    User,
)
from tenant_api.support.schemas import SLA, Priority

STAFF_ROLES = ("support", "admin", "owner")


@dataclass(frozen=True)
class Loaded:
    scenario: str
    anchor: date
    plans: int
    customers: int
    subscriptions: int
    devices: int
    tickets: int
    automations: int


async def load(
    session: AsyncSession,
    outbox: Outbox,
    sealer: Sealer,
    tenant_id: UUID,
    scenario: Scenario,
    *,
    cap: Cap,
    sla: bool,
    now: datetime,
) -> Loaded:
    await lock_customers(session, tenant_id)
    await _check_empty(session)
    billable = sum(1 for c in scenario.customers if c.status != "cancelled")
    check_cap(cap, 0, billable)

    customer_ids = {c.key: uuid.uuid4() for c in scenario.customers}
    plan_ids = {p.key: uuid.uuid4() for p in scenario.plans}
    since = min(c.created_at for c in scenario.customers)
    plans = [_plan(tenant_id, p, plan_ids, customer_ids, since) for p in scenario.plans]
    subscriptions = list(_subscriptions(tenant_id, scenario, customer_ids, plan_ids))
    for plan in plans:  # a legacy plan was retired the day after its last new subscriber
        if plan["retired_at"] is not None:
            starts = [s["starts_on"] for s in subscriptions if s["plan_id"] == plan["id"]]
            last = max(starts, default=since.date())
            plan["retired_at"] = datetime.combine(last + timedelta(days=1), since.timetz())
    customers = [_customer(tenant_id, c, customer_ids) for c in scenario.customers]
    resellers_first = sorted(customers, key=lambda c: c["reseller_id"] is not None)
    await insert_rows(session, ServicePlan, (p for p in plans if p["customer_id"] is None))
    await insert_rows(session, Customer, resellers_first)
    await insert_rows(session, ServicePlan, (p for p in plans if p["customer_id"] is not None))
    await insert_rows(session, CustomerStatusChange, _history(tenant_id, scenario, customer_ids))
    await insert_rows(session, Subscription, subscriptions)
    await insert_rows(
        session,
        AccountNumbers,
        [{"tenant_id": tenant_id, "next_number": _next_account_number(scenario)}],
    )
    devices = [_device(tenant_id, d, sealer, since) for d in scenario.devices]
    await insert_rows(session, Device, devices)
    for row in devices:
        device = Device(**row)
        await outbox.add(
            session, DeviceRegistered(isp_id=tenant_id, device=record(device), registered_at=now)
        )
    staff = list(
        (
            await session.execute(
                select(User.id).where(User.role.in_(STAFF_ROLES)).order_by(User.created_at)
            )
        ).scalars()
    )
    tickets, comments = _tickets(tenant_id, scenario, customer_ids, staff, sla)
    await insert_rows(session, Ticket, tickets)
    await insert_rows(session, TicketComment, comments)
    rules = [_automation(tenant_id, a, now) for a in scenario.automations]
    await insert_rows(session, AutomationRule, rules)
    await publish_count(session, outbox, tenant_id, billable, now)
    return Loaded(
        scenario=scenario.name,
        anchor=scenario.anchor,
        plans=len(scenario.plans),
        customers=len(customers),
        subscriptions=len(subscriptions),
        devices=len(devices),
        tickets=len(tickets),
        automations=len(rules),
    )


def _automation(tenant_id: UUID, automation: DemoAutomation, now: datetime) -> dict[str, Any]:
    spec = RuleCreate.model_validate(
        {
            "name": automation.name,
            "trigger": automation.trigger,
            "conditions": automation.conditions,
            "actions": automation.actions,
        }
    )
    return {
        "id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "name": spec.name,
        "trigger": spec.trigger.value,
        "conditions": [c.model_dump(mode="json") for c in spec.conditions],
        "actions": [a.model_dump(mode="json") for a in spec.actions],
        "enabled": True,
        "runs": 0,
        "created_by": "demo-data",
        "created_at": now,
        "updated_at": now,
    }


async def _check_empty(session: AsyncSession) -> None:
    for model, what in ((Customer, "customers"), (ServicePlan, "plans"), (Device, "devices")):
        if await session.scalar(select(func.count()).select_from(model)):
            raise Conflict(
                f"This ISP already has {what} of its own: sample data goes only into an empty "
                "tenant.",
                has=what,
            )


def _plan(
    tenant_id: UUID,
    plan: Any,
    plan_ids: dict[str, UUID],
    customer_ids: dict[str, UUID],
    since: datetime,
) -> dict[str, Any]:
    return {
        "id": plan_ids[plan.key],
        "tenant_id": tenant_id,
        "name": plan.name,
        "description": plan.description,
        "download_mbps": plan.download_mbps,
        "upload_mbps": plan.upload_mbps,
        "data_cap_gb": plan.data_cap_gb,
        "price": plan.price,
        "setup_fee": plan.setup_fee,
        "currency": plan.currency,
        "billing_cycle": plan.billing_cycle,
        "status": "retired" if plan.retired else "active",
        "customer_id": customer_ids[plan.customer_key] if plan.customer_key else None,
        "created_at": since,
        "retired_at": since if plan.retired else None,  # moved once subscriptions are known
    }


def _customer(tenant_id: UUID, c: Any, ids: dict[str, UUID]) -> dict[str, Any]:
    last = c.history[-1]
    return {
        "id": ids[c.key],
        "tenant_id": tenant_id,
        "account_number": c.account_number,
        "name": c.name,
        "kind": c.kind,
        "reseller_id": ids[c.reseller_key] if c.reseller_key else None,
        "email": c.email,
        "phone": c.phone,
        "contact_address": _address(c.contact_address),
        "service_address": _address(c.service_address),
        "tags": list(c.tags),
        "status": last.to_status,
        "status_reason": last.reason,
        "status_changed_at": last.at,
        "created_at": c.created_at,
        "updated_at": last.at,
    }


def _address(address: Any) -> dict[str, Any] | None:
    if address is None:
        return None
    return {k: v for k, v in address.as_dict().items() if v is not None}


def _history(tenant_id: UUID, scenario: Scenario, ids: dict[str, UUID]) -> Iterable[dict[str, Any]]:
    for c in scenario.customers:
        before = None
        for change in c.history:
            yield {
                "id": uuid.uuid4(),
                "tenant_id": tenant_id,
                "customer_id": ids[c.key],
                "from_status": before,
                "to_status": change.to_status,
                "reason": change.reason,
                "changed_at": change.at,
                "changed_by": "sample data",
            }
            before = change.to_status


def _subscriptions(
    tenant_id: UUID,
    scenario: Scenario,
    customer_ids: dict[str, UUID],
    plan_ids: dict[str, UUID],
) -> Iterable[dict[str, Any]]:
    for c in scenario.customers:
        previous: UUID | None = None
        for s in c.subscriptions:
            this = uuid.uuid4()
            yield {
                "id": this,
                "tenant_id": tenant_id,
                "customer_id": customer_ids[c.key],
                "plan_id": plan_ids[s.plan_key],
                "starts_on": s.starts_on,
                "ends_on": s.ends_on,
                "end_reason": s.end_reason,
                "cancellation_reason": c.history[-1].reason
                if s.end_reason == "cancelled"
                else None,
                "previous_id": previous,
                "created_at": datetime.combine(s.starts_on, c.created_at.timetz()),
            }
            previous = this if s.end_reason == "changed" else None


def _next_account_number(scenario: Scenario) -> int:
    digits = (c.account_number[1:] for c in scenario.customers)
    return max((int(d) for d in digits if d.isdigit()), default=0) + 1


def _device(tenant_id: UUID, d: Any, sealer: Sealer, at: datetime) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "tenant_id": tenant_id,
        "name": d.name,
        "vendor": d.vendor,
        "model": d.model,
        "role": d.role,
        "management_ip": d.management_ip,
        "site": d.site,
        **snmp_columns(_snmp(d.snmp), sealer),
        "created_at": at,
        "updated_at": at,
    }


def _snmp(snmp: DemoSnmp) -> SnmpCommunity | SnmpUser:
    if snmp.version == "v3":
        return SnmpUser.model_validate(
            {
                "version": "v3",
                "port": snmp.port,
                "username": snmp.username,
                "auth_protocol": snmp.auth_protocol,
                "auth_key": snmp.auth_key,
                "privacy_protocol": snmp.privacy_protocol,
                "privacy_key": snmp.privacy_key,
            }
        )
    return SnmpCommunity.model_validate(
        {"version": snmp.version, "port": snmp.port, "community": snmp.community}
    )


def _tickets(
    tenant_id: UUID,
    scenario: Scenario,
    customer_ids: dict[str, UUID],
    staff: list[UUID],
    sla: bool,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    tickets, comments = [], []
    accounts = {c.key: c.account_number for c in scenario.customers}
    ordered = sorted(scenario.tickets, key=lambda t: t.created_at)
    for number, t in enumerate(ordered, start=1):
        ticket_id = uuid.uuid4()
        assignee = staff[number % len(staff)] if staff else None
        customer = f"customer:{accounts[t.customer_key]}" if t.customer_key else "network"
        last = max([t.created_at, *(c.at for c in t.comments)])
        tickets.append(
            {
                "id": ticket_id,
                "tenant_id": tenant_id,
                "number": number,
                "subject": t.subject,
                "description": t.description,
                "status": t.status,
                "priority": t.priority,
                "customer_id": customer_ids[t.customer_key] if t.customer_key else None,
                "assignee_id": assignee,
                "opened_by": customer,
                "sla_due_at": t.created_at + SLA[Priority(t.priority)] if sla else None,
                "created_at": t.created_at,
                "updated_at": max([last, *(x for x in (t.resolved_at, t.closed_at) if x)]),
                "resolved_at": t.resolved_at,
                "closed_at": t.closed_at,
            }
        )
        for c in t.comments:
            by_staff = c.by_staff and assignee is not None
            comments.append(
                {
                    "id": uuid.uuid4(),
                    "tenant_id": tenant_id,
                    "ticket_id": ticket_id,
                    "body": c.body,
                    "author": f"user:{assignee}" if by_staff else customer,
                    "author_id": assignee if by_staff else None,
                    "created_at": c.at,
                }
            )
    return tickets, comments
