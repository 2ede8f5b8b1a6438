"""Loading a scenario into a tenant, in one transaction, so a scenario is either all there or
not at all. A tenant takes a scenario only while it has no customers, plans or devices of its
own, and only if the scenario fits under its customer cap.

Everything goes through its context's service functions, so sample data obeys the same rules as
the API: plans, devices and automation rules one at a time; the medium scenario's last year of
invoices from the real bill runs, paid through the payment service (`demo.history`); tickets
opened, commented on and moved along as their story goes, with the clock at each step;
customers with their status history, and subscriptions, through the bulk functions for data
that already has a past (an enterprise scenario has thousands), which check the same rules and
write in bulk.

Devices keep the scenario's made-up addresses (10.20.x.x), which nothing answers, unless a
simulated fleet is configured (`Settings.demo_snmp_fleet`, which `make up` sets): then each
device gets an address of the fleet's network and the fleet's port, and SNMP v2c with the
community of one of the fleet's simulated devices of its role (the n-th device of a role
takes the role's communities in turn), so the network service polls it and the demo shows
moving numbers. The scenario's v3 devices become v2c there: snmpsim picks the device it
simulates by community, and one agent answering many v3 devices would need a context name
per device, which a device record does not carry."""

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from servicekit.outbox import Outbox
from servicekit.sealing import Sealer
from tenant_api.automations import service as automations
from tenant_api.automations.schemas import RuleCreate
from tenant_api.billing.plans import service as plans
from tenant_api.billing.plans.schemas import PlanCreate
from tenant_api.billing.subscriptions import service as billing
from tenant_api.billing.subscriptions.schemas import EndReason
from tenant_api.config import DemoSnmpFleet
from tenant_api.customers import service as customers
from tenant_api.customers.schemas import Address, CustomerCreate
from tenant_api.customers.service import Cap
from tenant_api.demo import history, repository
from tenant_api.demo.scenarios import (
    DemoAddress,
    DemoAutomation,
    DemoCustomer,
    DemoDevice,
    DemoPlan,
    DemoSnmp,
    Scenario,
)
from tenant_api.devices import service as devices
from tenant_api.devices.schemas import DeviceCreate, SnmpCommunity, SnmpUser
from tenant_api.messagebus import UnitOfWork
from tenant_api.support import service as support
from tenant_api.support.schemas import (
    CommentCreate,
    Priority,
    TicketCreate,
    TicketStatus,
    TicketUpdate,
)
from tenant_api.vocabulary import CustomerKind, CustomerStatus


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
    bill_runs: int = 0
    invoices: int = 0
    payments: int = 0


async def load(
    work: UnitOfWork,
    outbox: Outbox,
    sealer: Sealer,
    scenario: Scenario,
    *,
    cap: Cap,
    sla: bool,
    fleet: DemoSnmpFleet | None = None,
) -> Loaded:
    session, tenant_id, now = work.session, work.tenant_id, work.now
    await customers.lock_customers(session, tenant_id)
    await repository.check_empty(session)

    customer_ids = {c.key: uuid.uuid4() for c in scenario.customers}
    since = min(c.created_at for c in scenario.customers)
    plan_ids = {
        p.key: (await plans.create_plan(session, tenant_id, _plan(p, None), now=since)).id
        for p in scenario.plans
        if p.customer_key is None
    }
    past = [_customer(c, customer_ids) for c in scenario.customers]
    await customers.add_past(work, past, cap=cap, by="sample data")
    for p in scenario.plans:  # packages made for one customer, once the customer is there
        if p.customer_key is not None:
            package = _plan(p, customer_ids[p.customer_key])
            plan_ids[p.key] = (await plans.create_plan(session, tenant_id, package, now=since)).id
    subscriptions = list(_subscriptions(scenario, customer_ids, plan_ids))
    await billing.add_past(work, subscriptions)
    for p in scenario.plans:  # a legacy plan was retired the day after its last new subscriber
        if p.retired:
            starts = [s.starts_on for s in subscriptions if s.plan_id == plan_ids[p.key]]
            last = max(starts, default=since.date())
            retired = datetime.combine(last + timedelta(days=1), since.timetz())
            await plans.retire_plan(session, plan_ids[p.key], now=retired)
    billed = await history.bill(work, scenario, customer_ids)
    for spec in device_specs(scenario.devices, fleet):
        await devices.add_device(session, outbox, sealer, tenant_id, spec, now=since)
    staff = await repository.staff(session)
    tickets = await _tickets(work, scenario, customer_ids, staff, sla)
    for a in scenario.automations:
        await automations.create_rule(session, tenant_id, _rule(a), now=now, by="demo-data")
    return Loaded(
        scenario=scenario.name,
        anchor=scenario.anchor,
        plans=len(scenario.plans),
        customers=len(past),
        subscriptions=len(subscriptions),
        devices=len(scenario.devices),
        tickets=tickets,
        automations=len(scenario.automations),
        bill_runs=billed.bill_runs if billed else 0,
        invoices=billed.invoices if billed else 0,
        payments=billed.payments if billed else 0,
    )


def _rule(automation: DemoAutomation) -> RuleCreate:
    return RuleCreate.model_validate(
        {
            "name": automation.name,
            "trigger": automation.trigger,
            "conditions": automation.conditions,
            "actions": automation.actions,
        }
    )


def _plan(plan: DemoPlan, customer_id: UUID | None) -> PlanCreate:
    return PlanCreate(
        name=plan.name,
        description=plan.description,
        download_mbps=plan.download_mbps,
        upload_mbps=plan.upload_mbps,
        data_cap_gb=plan.data_cap_gb,
        price=plan.price,
        setup_fee=plan.setup_fee,
        currency=plan.currency,
        billing_cycle=plan.billing_cycle,
        customer_id=customer_id,
    )


def _customer(c: DemoCustomer, ids: dict[str, UUID]) -> customers.PastCustomer:
    first, *changes = c.history
    spec = CustomerCreate(
        name=c.name,
        kind=CustomerKind(c.kind),
        email=c.email,
        phone=c.phone,
        contact_address=_address(c.contact_address),
        service_address=_address(c.service_address),
        tags=list(c.tags),
        status=CustomerStatus(first.to_status),
        reseller_id=ids[c.reseller_key] if c.reseller_key else None,
        account_number=c.account_number,
    )
    return customers.PastCustomer(
        id=ids[c.key],
        spec=spec,
        created_at=c.created_at,
        changes=[(CustomerStatus(x.to_status), x.reason, x.at) for x in changes],
    )


def _address(address: DemoAddress | None) -> Address | None:
    if address is None:
        return None
    return Address.model_validate({k: v for k, v in address.as_dict().items() if v is not None})


def _subscriptions(
    scenario: Scenario, customer_ids: dict[str, UUID], plan_ids: dict[str, UUID]
) -> Iterable[billing.PastSubscription]:
    for c in scenario.customers:
        previous: UUID | None = None
        for s in c.subscriptions:
            this = uuid.uuid4()
            yield billing.PastSubscription(
                id=this,
                customer_id=customer_ids[c.key],
                plan_id=plan_ids[s.plan_key],
                starts_on=s.starts_on,
                ends_on=s.ends_on,
                end_reason=EndReason(s.end_reason) if s.end_reason else None,
                cancellation_reason=c.history[-1].reason if s.end_reason == "cancelled" else None,
                previous_id=previous,
                created_at=datetime.combine(s.starts_on, c.created_at.timetz()),
            )
            previous = this if s.end_reason == "changed" else None


def device_specs(
    demo_devices: Sequence[DemoDevice], fleet: DemoSnmpFleet | None
) -> list[DeviceCreate]:
    """The devices to add: as the scenario has them, or pointed at the simulated `fleet` (see
    the module's docstring). A device whose role the fleet does not simulate, or past the
    fleet's last address, keeps the scenario's address and access."""
    if fleet is None:
        return [_device(d, d.management_ip, _snmp(d.snmp)) for d in demo_devices]
    addresses = fleet.network.hosts()
    taken: Counter[str] = Counter()
    specs = []
    for d in demo_devices:
        communities = fleet.communities.get(d.role)
        address = next(addresses, None) if communities else None
        if communities is None or address is None:
            specs.append(_device(d, d.management_ip, _snmp(d.snmp)))
            continue
        community = communities[taken[d.role] % len(communities)]
        taken[d.role] += 1
        simulated = SnmpCommunity(version="v2c", port=fleet.port, community=community)
        specs.append(_device(d, str(address), simulated))
    return specs


def _device(d: DemoDevice, address: str, snmp: SnmpCommunity | SnmpUser) -> DeviceCreate:
    return DeviceCreate.model_validate(
        {
            "name": d.name,
            "vendor": d.vendor,
            "model": d.model,
            "role": d.role,
            "management_ip": address,
            "site": d.site,
            "snmp": snmp,
        }
    )


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


async def _tickets(
    work: UnitOfWork,
    scenario: Scenario,
    customer_ids: dict[str, UUID],
    staff: list[UUID],
    sla: bool,
) -> int:
    """Open each ticket, comment on it and move it along as its story goes, each step through
    support's service functions with the clock at the moment it happened. Returns how many."""
    accounts = {c.key: c.account_number for c in scenario.customers}
    ordered = sorted(scenario.tickets, key=lambda t: t.created_at)
    for number, t in enumerate(ordered, start=1):
        assignee = staff[number % len(staff)] if staff else None
        customer = f"customer:{accounts[t.customer_key]}" if t.customer_key else "network"
        spec = TicketCreate(
            subject=t.subject,
            description=t.description,
            priority=Priority(t.priority),
            customer_id=customer_ids[t.customer_key] if t.customer_key else None,
            assignee_id=assignee,
        )
        opening = UnitOfWork(work.session, work.tenant_id, work.bus, now=t.created_at)
        ticket = await support.open_ticket(opening, spec, sla=sla, by=customer)
        last = max([t.created_at, *(c.at for c in t.comments)])
        story: list[tuple[datetime, int, Any]] = [(c.at, 0, c) for c in t.comments]
        if t.status == TicketStatus.PENDING:
            story.append((last, 1, TicketStatus.PENDING))
        if t.resolved_at is not None:
            story.append((t.resolved_at, 1, TicketStatus.RESOLVED))
        if t.closed_at is not None:
            story.append((t.closed_at, 2, TicketStatus.CLOSED))
        for when, _, step in sorted(story, key=lambda s: (s[0], s[1])):
            then = UnitOfWork(work.session, work.tenant_id, work.bus, now=when)
            staff_member = f"user:{assignee}" if assignee is not None else "sample data"
            if isinstance(step, TicketStatus):
                change = TicketUpdate(status=step)
                await support.update_ticket(then, ticket.id, change, sla=sla, by=staff_member)
                continue
            by_staff = step.by_staff and assignee is not None
            await support.comment(
                then,
                ticket.id,
                CommentCreate(body=step.body),
                author_id=assignee if by_staff else None,
                by=staff_member if by_staff else customer,
            )
    return len(ordered)
