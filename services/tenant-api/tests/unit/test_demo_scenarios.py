import ipaddress
import re
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest

from tenant_api.automations.schemas import RuleCreate
from tenant_api.demo.scenarios import SCENARIOS, DemoCustomer, Scenario, build

ANCHOR = date(2025, 6, 15)
END_OF_ANCHOR = datetime(2025, 6, 15, 23, 59, 59, 999999, tzinfo=UTC)
TRANSITIONS = {
    "lead": {"active", "cancelled"},
    "active": {"suspended", "cancelled"},
    "suspended": {"active", "cancelled"},
    "cancelled": set(),
}
TAG = re.compile(r"^[a-z0-9][a-z0-9 _:-]{0,39}$")
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
EXAMPLE_DOMAIN = re.compile(r"^(?:[a-z0-9-]+\.)*(?:example|example\.(?:com|net|org))$")
HISTORY_MONTHS = {"small": 3, "medium": 12, "enterprise": 24}


@pytest.fixture(scope="module", params=SCENARIOS)
def scenario(request: pytest.FixtureRequest) -> Scenario:
    return build(request.param, ANCHOR)


def status(customer: DemoCustomer) -> str:
    return customer.history[-1].to_status


def catalogue(scenario: Scenario) -> list[str]:
    return [p.key for p in scenario.plans if p.customer_key is None]


def custom(scenario: Scenario) -> list[str]:
    return [p.key for p in scenario.plans if p.customer_key is not None]


def resellers(scenario: Scenario) -> list[DemoCustomer]:
    return [c for c in scenario.customers if c.kind == "reseller"]


def sold_through_reseller(scenario: Scenario) -> float:
    residential = [c for c in scenario.customers if c.kind == "residential"]
    return sum(c.reseller_key is not None for c in residential) / len(residential)


def all_times(scenario: Scenario) -> list[datetime]:
    times = [change.at for c in scenario.customers for change in c.history]
    times += [c.created_at for c in scenario.customers]
    for ticket in scenario.tickets:
        times += [ticket.created_at, *(comment.at for comment in ticket.comments)]
        times += [t for t in (ticket.resolved_at, ticket.closed_at) if t is not None]
    return times


def test_an_unknown_scenario_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown demo scenario"):
        build("huge", ANCHOR)


def test_small_has_the_promised_counts() -> None:
    small = build("small", ANCHOR)
    assert len(small.customers) == 50
    assert len(small.plans) == 3
    assert custom(small) == []
    assert len(small.devices) == 10
    assert len(small.tickets) == 5
    assert {t.status for t in small.tickets} == {"open", "pending", "resolved", "closed"}
    assert small.automations == ()


def test_medium_has_the_promised_counts() -> None:
    medium = build("medium", ANCHOR)
    assert len(medium.customers) == 500
    assert len(catalogue(medium)) == 5
    assert 5 <= len(custom(medium)) <= 10
    assert len(medium.devices) >= 25
    assert 2 <= len(resellers(medium)) <= 4
    assert 0.10 <= sold_through_reseller(medium) <= 0.20
    assert 35 <= len(medium.tickets) <= 45
    assert medium.automations == ()


def test_enterprise_has_the_promised_counts() -> None:
    enterprise = build("enterprise", ANCHOR)
    assert len(enterprise.customers) >= 2000
    assert len(custom(enterprise)) >= 5
    assert 2 <= len(resellers(enterprise)) <= 4
    assert 0.10 <= sold_through_reseller(enterprise) <= 0.20
    assert len(enterprise.devices) >= 60
    sites: dict[str, set[str]] = {}
    for device in enterprise.devices:
        sites.setdefault(device.site, set()).add(device.role)
    assert len(sites) >= 4
    assert sum({"router", "switch", "olt"} <= roles for roles in sites.values()) >= 3
    assert {"router", "switch", "olt", "access_point"} <= set().union(*sites.values())
    assert 140 <= len(enterprise.tickets) <= 160
    assert 3 <= len(enterprise.automations) <= 6
    for automation in enterprise.automations:  # each is a rule the automations API accepts
        RuleCreate.model_validate(
            {
                "name": automation.name,
                "trigger": automation.trigger,
                "conditions": automation.conditions,
                "actions": automation.actions,
            }
        )


def test_customers_are_created_over_the_scenarios_history(scenario: Scenario) -> None:
    months = HISTORY_MONTHS[scenario.name]
    window_start = datetime.combine(
        ANCHOR - timedelta(days=round(months * 30.44) + 1), datetime.min.time(), UTC
    )
    created = sorted(c.created_at for c in scenario.customers)
    assert created[0] >= window_start
    # spread over the whole window, not bunched at one end
    assert created[0] <= window_start + timedelta(days=months * 30.44 * 0.15)
    assert created[-1] >= END_OF_ANCHOR - timedelta(days=months * 30.44 * 0.15)


def test_the_status_mix_is_plausible(scenario: Scenario) -> None:
    statuses = Counter(status(c) for c in scenario.customers)
    assert set(statuses) == {"lead", "active", "suspended", "cancelled"}
    assert statuses["active"] > 0.6 * len(scenario.customers)
    changed = [
        c for c in scenario.customers if any(s.end_reason == "changed" for s in c.subscriptions)
    ]
    assert changed, "some customers changed plan"


def test_building_twice_gives_the_same_scenario() -> None:
    for name in SCENARIOS:
        assert build(name, ANCHOR) == build(name, ANCHOR)


def test_a_later_anchor_shifts_every_date() -> None:
    shift = timedelta(days=10)
    before, after = build("medium", ANCHOR), build("medium", ANCHOR + shift)
    assert after.anchor == before.anchor + shift
    assert [c.name for c in after.customers] == [c.name for c in before.customers]
    for old, new in zip(before.customers, after.customers, strict=True):
        assert new.created_at == old.created_at + shift
        assert [h.at for h in new.history] == [h.at + shift for h in old.history]
        assert [s.starts_on for s in new.subscriptions] == [
            s.starts_on + shift for s in old.subscriptions
        ]
    assert [t.created_at for t in after.tickets] == [t.created_at + shift for t in before.tickets]
    assert before.devices == after.devices


def test_times_are_utc_and_never_after_the_anchor_day(scenario: Scenario) -> None:
    for when in all_times(scenario):
        assert when.tzinfo is not None and when.utcoffset() == timedelta(0)
        assert when <= END_OF_ANCHOR
    for customer in scenario.customers:
        for subscription in customer.subscriptions:
            assert subscription.starts_on <= ANCHOR
            assert subscription.ends_on is None or subscription.ends_on <= ANCHOR


def test_every_history_is_a_valid_chain_of_transitions(scenario: Scenario) -> None:
    for customer in scenario.customers:
        history = customer.history
        assert history[0].to_status in ("lead", "active")
        assert customer.created_at == history[0].at
        for previous, change in pairwise(history):
            assert change.to_status in TRANSITIONS[previous.to_status], customer.key
            assert change.at > previous.at, customer.key
        for change in history:
            if change.to_status in ("suspended", "cancelled"):
                assert change.reason and change.reason.strip(), customer.key


def test_subscriptions_follow_the_history(scenario: Scenario) -> None:
    plans = {plan.key: plan for plan in scenario.plans}
    for customer in scenario.customers:
        subscriptions = customer.subscriptions
        activations = [h for h in customer.history if h.to_status == "active"]
        if not activations:  # a lead, or a lead that never converted
            assert subscriptions == (), customer.key
            continue
        assert subscriptions, customer.key
        assert subscriptions[0].starts_on == activations[0].at.date()
        for subscription in subscriptions:
            plan = plans[subscription.plan_key]
            assert plan.customer_key in (None, customer.key), customer.key
            if subscription.ends_on is not None:
                assert subscription.ends_on > subscription.starts_on
        for current, following in pairwise(subscriptions):
            assert current.end_reason == "changed", customer.key
            assert current.ends_on == following.starts_on, customer.key
            assert current.plan_key != following.plan_key
        last = subscriptions[-1]
        if status(customer) == "cancelled":
            cancelled = customer.history[-1].at.date()
            assert (last.ends_on, last.end_reason) == (cancelled, "cancelled"), customer.key
        else:
            assert (last.ends_on, last.end_reason) == (None, None), customer.key


def test_custom_packages_belong_to_one_existing_customer(scenario: Scenario) -> None:
    keys = {c.key for c in scenario.customers}
    used_by: dict[str, set[str]] = {}
    for customer in scenario.customers:
        for subscription in customer.subscriptions:
            used_by.setdefault(subscription.plan_key, set()).add(customer.key)
    for plan in scenario.plans:
        assert plan.currency == "USD"
        assert plan.billing_cycle in ("monthly", "quarterly", "annual")
        assert plan.price > 0 and plan.setup_fee >= 0
        if plan.customer_key is not None:
            assert plan.customer_key in keys
            assert used_by.get(plan.key, set()) <= {plan.customer_key}
            assert not plan.retired
    assert len({p.key for p in scenario.plans}) == len(scenario.plans)
    catalogue_names = [p.name for p in scenario.plans if p.customer_key is None]
    assert len(set(catalogue_names)) == len(catalogue_names)


def test_resellers_sell_to_residential_customers(scenario: Scenario) -> None:
    reseller_keys = {c.key for c in resellers(scenario)}
    for customer in scenario.customers:
        if customer.reseller_key is not None:
            assert customer.kind == "residential"
            assert customer.reseller_key in reseller_keys


def test_names_look_real(scenario: Scenario) -> None:
    numbered = re.compile(r"customer\s*\d+", re.IGNORECASE)
    assert not [c.name for c in scenario.customers if numbered.search(c.name)]
    residential = [c.name for c in scenario.customers if c.kind == "residential"]
    assert len(set(residential)) >= 0.9 * len(residential)
    assert all(len(name.split()) >= 2 for name in residential)
    businesses = [c.name for c in scenario.customers if c.kind != "residential"]
    assert len(set(businesses)) == len(businesses)


def test_accounts_are_unique_and_sequential(scenario: Scenario) -> None:
    numbers = [c.account_number for c in scenario.customers]
    assert numbers == [f"C{n:07d}" for n in range(1, len(numbers) + 1)]
    assert len({c.key for c in scenario.customers}) == len(scenario.customers)


def test_emails_are_unique_and_on_example_domains(scenario: Scenario) -> None:
    emails = [c.email for c in scenario.customers if c.email is not None]
    assert len(emails) >= 0.8 * len(scenario.customers)
    assert len(set(emails)) == len(emails)
    for email in emails:
        local, _, domain = email.partition("@")
        assert re.fullmatch(r"[a-z0-9._-]+", local), email
        assert EXAMPLE_DOMAIN.match(domain), email


def test_phones_are_e164(scenario: Scenario) -> None:
    phones = [c.phone for c in scenario.customers if c.phone is not None]
    assert phones
    assert all(E164.match(phone) for phone in phones)
    assert all(phone[5:9] == "5550" for phone in phones)  # fictional 555-01xx numbers


def test_addresses_are_complete(scenario: Scenario) -> None:
    for customer in scenario.customers:
        for address in (customer.contact_address, customer.service_address):
            if address is None:
                continue
            assert address.line1 and address.city and address.region
            assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 -]{1,15}", address.postal_code)
            assert re.fullmatch(r"[A-Z]{2}", address.country)
            assert set(address.as_dict()) == {
                "line1",
                "line2",
                "city",
                "region",
                "postal_code",
                "country",
            }


def test_tags_are_valid(scenario: Scenario) -> None:
    for customer in scenario.customers:
        assert len(customer.tags) <= 5
        assert len(set(customer.tags)) == len(customer.tags)
        assert all(TAG.match(tag) for tag in customer.tags), customer.tags


def test_devices_have_unique_private_addresses_and_usable_snmp(scenario: Scenario) -> None:
    addresses = [ipaddress.ip_address(d.management_ip) for d in scenario.devices]
    assert len(set(addresses)) == len(addresses)
    assert all(address.is_private for address in addresses)
    assert len({d.key for d in scenario.devices}) == len(scenario.devices)
    for device in scenario.devices:
        assert device.role in ("router", "switch", "olt", "access_point", "firewall")
        assert device.vendor and device.model and device.site
        snmp = device.snmp
        assert snmp.port == 161
        if snmp.version == "v2c":
            assert snmp.community
            assert snmp.username is None and snmp.auth_key is None
        else:
            assert snmp.version == "v3"
            assert snmp.community is None and snmp.username
            assert snmp.auth_protocol in ("SHA", "SHA-256")
            assert snmp.privacy_protocol in ("AES", "AES-256")
            assert snmp.auth_key and len(snmp.auth_key) >= 8
            assert snmp.privacy_key and len(snmp.privacy_key) >= 8


def test_tickets_are_consistent_with_their_status(scenario: Scenario) -> None:
    customers = {c.key: c for c in scenario.customers}
    for ticket in scenario.tickets:
        assert ticket.subject and ticket.description
        assert ticket.status in ("open", "pending", "resolved", "closed")
        assert ticket.priority in ("low", "normal", "high", "urgent")
        if ticket.customer_key is not None:
            assert customers[ticket.customer_key].created_at <= ticket.created_at
        if ticket.status in ("open", "pending"):
            assert ticket.resolved_at is None and ticket.closed_at is None
        if ticket.status == "resolved":
            assert ticket.resolved_at is not None and ticket.closed_at is None
        if ticket.status == "closed":
            assert ticket.closed_at is not None
        if ticket.resolved_at is not None:
            assert ticket.created_at <= ticket.resolved_at
        if ticket.closed_at is not None:
            assert (ticket.resolved_at or ticket.created_at) <= ticket.closed_at
        times = [c.at for c in ticket.comments]
        assert times == sorted(times)
        assert all(ticket.created_at <= at for at in times)
        if ticket.customer_key is None:
            assert all(c.by_staff for c in ticket.comments)
    closed = [t for t in scenario.tickets if t.status == "closed"]
    assert sum(t.resolved_at is not None for t in closed) >= 0.5 * len(closed)


def test_enterprise_builds_quickly() -> None:
    started = time.perf_counter()
    build("enterprise", ANCHOR)
    assert time.perf_counter() - started < 2


def test_every_record_passes_the_apis_own_schemas(scenario: Scenario) -> None:
    """The loader hands each record to its context's service functions as the API's request
    schemas; a record those refuse would fail the load, so it fails here first."""
    from tenant_api.demo import loader

    ids = {c.key: uuid.uuid4() for c in scenario.customers}
    customers = [loader._customer(c, ids) for c in scenario.customers]
    assert [c.spec.account_number for c in customers] == [
        c.account_number for c in scenario.customers
    ]
    assert all(loader._plan(p, None).name == p.name for p in scenario.plans)
    specs = loader.device_specs(scenario.devices, None)
    assert [s.name for s in specs] == [d.name for d in scenario.devices]
    assert all(loader._rule(a).name == a.name for a in scenario.automations)
