"""Deterministic demo data for an ISP tenant: plans, customers with their status history and
subscriptions, network devices, support tickets and (enterprise) automation examples.

The sample data (names, places, plans, devices, ticket stories, automations and each
scenario's profile) lives in data files, `data/*.yaml`; this module makes a business of them.
`build(scenario, anchor)` is pure: no database, no I/O (but reading those files once), no
clock. Every random choice comes from a `random.Random` seeded with the scenario name, and
every date is an offset from `anchor` (the day the data is generated for), so the same
arguments always give the same `Scenario`, and a later anchor gives the same data moved later
by the same number of days. All times are UTC and never after the end of the anchor day;
customers, status changes and tickets happen between 15:00 and 23:59 UTC (the working day in
Oregon, where the demo ISP is), replies and resolutions some minutes to days later.

Devices get made-up management addresses (10.20.x.x onwards) and random SNMP secrets, v3 for
the roles a profile says; nothing answers them. In development the loader points them at a
simulated fleet instead (see `tenant_api.demo.loader`), where every device speaks v2c.
"""

import ipaddress
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

import yaml

SCENARIOS = ("small", "medium", "enterprise")


# --- The data a scenario is made of ------------------------------------------------------------


@dataclass(frozen=True)
class DemoAddress:
    line1: str
    line2: str | None
    city: str
    region: str | None
    postal_code: str
    country: str

    def as_dict(self) -> dict[str, str | None]:
        return {
            "line1": self.line1,
            "line2": self.line2,
            "city": self.city,
            "region": self.region,
            "postal_code": self.postal_code,
            "country": self.country,
        }


@dataclass(frozen=True)
class DemoPlan:
    key: str
    name: str
    description: str | None
    download_mbps: int
    upload_mbps: int
    data_cap_gb: int | None
    price: Decimal
    setup_fee: Decimal
    currency: str
    billing_cycle: str
    retired: bool
    customer_key: str | None


@dataclass(frozen=True)
class DemoStatusChange:
    to_status: str
    at: datetime
    reason: str | None


@dataclass(frozen=True)
class DemoSubscription:
    plan_key: str
    starts_on: date
    ends_on: date | None
    end_reason: str | None


@dataclass(frozen=True)
class DemoCustomer:
    key: str
    account_number: str
    name: str
    kind: str
    reseller_key: str | None
    email: str | None
    phone: str | None
    contact_address: DemoAddress
    service_address: DemoAddress | None
    tags: tuple[str, ...]
    history: tuple[DemoStatusChange, ...]
    subscriptions: tuple[DemoSubscription, ...]
    created_at: datetime

    @property
    def status(self) -> str:
        """The customer's status now: where its history ends."""
        return self.history[-1].to_status


@dataclass(frozen=True)
class DemoSnmp:
    version: str
    port: int
    community: str | None
    username: str | None
    auth_protocol: str | None
    auth_key: str | None
    privacy_protocol: str | None
    privacy_key: str | None


@dataclass(frozen=True)
class DemoDevice:
    key: str
    name: str
    vendor: str
    model: str
    role: str
    management_ip: str
    site: str
    snmp: DemoSnmp


@dataclass(frozen=True)
class DemoComment:
    body: str
    at: datetime
    by_staff: bool


@dataclass(frozen=True)
class DemoTicket:
    subject: str
    description: str
    status: str
    priority: str
    customer_key: str | None
    created_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    comments: tuple[DemoComment, ...]


@dataclass(frozen=True)
class DemoAutomation:
    """An automation rule, in the shape `POST /api/v1/automations` takes."""

    name: str
    trigger: str
    conditions: tuple[dict[str, Any], ...]
    actions: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Scenario:
    name: str
    anchor: date
    plans: tuple[DemoPlan, ...]
    customers: tuple[DemoCustomer, ...]
    devices: tuple[DemoDevice, ...]
    tickets: tuple[DemoTicket, ...]
    automations: tuple[DemoAutomation, ...]


# --- The sample data: data files (data/*.yaml), read once -------------------------------------


def _data(name: str) -> Any:
    return yaml.safe_load(resources.files(__package__).joinpath(f"data/{name}.yaml").read_text())


@dataclass(frozen=True)
class _Town:
    name: str
    zips: tuple[str, ...]
    fiber: bool
    weight: int


@dataclass(frozen=True)
class _Site:
    name: str
    code: str
    devices: tuple[tuple[str, int], ...]
    """(role, how many), in the order the site's devices are numbered."""


@dataclass(frozen=True)
class _TicketKind:
    subject: str
    description: str
    priority: str
    audience: str  # "residential", "business", "any" or "internal" (no customer)
    follow_up: str  # from the customer (or, for an internal ticket, a colleague)
    check: str  # a staff update while working on it
    question: str  # the staff question that leaves the ticket pending
    resolution: str


@dataclass(frozen=True)
class _Profile:
    customers: int
    days: int
    plans: tuple[str, ...]
    business_share: float
    resellers: int
    custom_packages: int  # for business customers; each reseller also gets one
    sites: tuple[_Site, ...]
    snmp_v3_roles: frozenset[str]
    auth_protocol: str
    privacy_protocol: str
    tickets: int
    automations: tuple[DemoAutomation, ...]


def _plan(fields: dict[str, Any]) -> DemoPlan:
    return DemoPlan(
        key=fields["key"],
        name=fields["name"],
        description=fields["description"],
        download_mbps=fields["download_mbps"],
        upload_mbps=fields["upload_mbps"],
        data_cap_gb=fields["data_cap_gb"],
        price=Decimal(fields["price"]),
        setup_fee=Decimal(fields["setup_fee"]),
        currency="USD",
        billing_cycle=fields.get("billing_cycle", "monthly"),
        retired=fields.get("retired", False),
        customer_key=None,
    )


def _choices(table: dict[str, int]) -> tuple[tuple[str, int], ...]:
    """(choice, weight) pairs, in the data file's order."""
    return tuple(table.items())


_people, _places, _business = _data("people"), _data("places"), _data("business")
_FIRST_NAMES: tuple[str, ...] = tuple(_people["first_names"])
_SURNAMES: tuple[str, ...] = tuple(_people["surnames"])
_AREA_CODES: tuple[str, ...] = tuple(_people["area_codes"])
_EMAIL_DOMAINS: tuple[str, ...] = tuple(_people["email_domains"])
_REGION: str = _places["region"]
_COUNTRY: str = _places["country"]
_STREETS: tuple[str, ...] = tuple(_places["streets"])
_RURAL_ROADS: tuple[str, ...] = tuple(_places["rural_roads"])
_TOWNS = tuple(
    _Town(t["name"], tuple(t["zips"]), t["fiber"], t["weight"]) for t in _places["towns"]
)
_FIBER_TOWNS = tuple(town for town in _TOWNS if town.fiber)
_BUSINESS_PLACES: tuple[str, ...] = tuple(_business["places"])
_BUSINESS_TRADES: tuple[str, ...] = tuple(_business["trades"])
_PARTNERSHIPS: tuple[str, ...] = tuple(_business["partnerships"])
_RESELLER_NAMES: tuple[str, ...] = tuple(_business["resellers"])
_BUSINESS_MAILBOXES: tuple[str, ...] = tuple(_business["mailboxes"])

_reasons = _data("reasons")
_LEAD_LOST_REASONS: tuple[str, ...] = tuple(_reasons["lead_lost"])
_OVERDUE_REASONS: tuple[str, ...] = tuple(_reasons["overdue"])
_SUSPENSION_REASONS = (*_OVERDUE_REASONS, *_reasons["suspension_besides_overdue"])
_REACTIVATION_REASONS: tuple[str | None, ...] = tuple(_reasons["reactivation"])
_CANCELLATION_REASONS: tuple[str, ...] = tuple(_reasons["cancellation"])
_NON_PAYMENT_CANCELLATION: str = _reasons["non_payment_cancellation"]

_catalogue = _data("catalogue")
_CATALOGUE = {plan.key: plan for plan in map(_plan, _catalogue["plans"])}
_RESIDENTIAL_FIBER = _choices(_catalogue["residential_fiber"])
_RESIDENTIAL_RURAL = _choices(_catalogue["residential_rural"])
_BUSINESS = _choices(_catalogue["business"])
_CHANGES: dict[str, tuple[str, ...]] = {
    plan: tuple(to) for plan, to in _catalogue["changes"].items()
}
_LEGACY = {True: _catalogue["legacy"]["fiber"], False: _catalogue["legacy"]["no_fiber"]}
"""The legacy plan, by whether the customer's town has fiber."""
_DEDICATED: tuple[tuple[int, str, str, str], ...] = tuple(
    (d["mbps"], d["name"], d["price"], d["setup_fee"]) for d in _catalogue["dedicated"]
)

_network = _data("network")
_MODELS: dict[str, tuple[tuple[str, str], ...]] = {
    role: tuple((m["vendor"], m["model"]) for m in models)
    for role, models in _network["models"].items()
}
_ROLE_NAMES: dict[str, str] = _network["role_names"]
_ROLE_HOSTS: dict[str, int] = _network["role_hosts"]
"""Where each role's management addresses start in its site's /24."""

_tickets = _data("tickets")
_ACKNOWLEDGED: tuple[str, ...] = tuple(_tickets["acknowledged"])
_ASSIGNED: tuple[str, ...] = tuple(_tickets["assigned"])
_THANKS: tuple[str, ...] = tuple(_tickets["thanks"])
_DUPLICATE_CLOSE: str = _tickets["duplicate_close"]
_TICKET_KINDS = tuple(_TicketKind(**kind) for kind in _tickets["kinds"])

_AUTOMATIONS = tuple(
    DemoAutomation(a["name"], a["trigger"], tuple(a["conditions"]), tuple(a["actions"]))
    for a in _data("automations")["automations"]
)
_AUTOMATION_BY_NAME = {automation.name: automation for automation in _AUTOMATIONS}


def _profile(fields: dict[str, Any]) -> _Profile:
    return _Profile(
        customers=fields["customers"],
        days=fields["days"],
        plans=tuple(fields["plans"]),
        business_share=fields["business_share"],
        resellers=fields["resellers"],
        custom_packages=fields["custom_packages"],
        sites=tuple(
            _Site(site["name"], site["code"], tuple(site["devices"].items()))
            for site in fields["sites"]
        ),
        snmp_v3_roles=frozenset(fields["snmp_v3_roles"]),
        auth_protocol=fields["auth_protocol"],
        privacy_protocol=fields["privacy_protocol"],
        tickets=fields["tickets"],
        automations=tuple(_AUTOMATION_BY_NAME[name] for name in fields["automations"]),
    )


_PROFILES = {name: _profile(fields) for name, fields in _data("profiles")["profiles"].items()}


# --- Helpers ------------------------------------------------------------------------------------

_DAY_START_MINUTE = 15 * 60  # 08:00 in Oregon (PST) is 16:00 UTC; 07:00 PST/08:00 PDT is 15:00
_DAY_END_MINUTE = 24 * 60 - 1
_TOKEN_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class _Clock:
    """Days of the scenario as integers: 0 is the first day of its history, `days` the anchor."""

    def __init__(self, anchor: date, days: int) -> None:
        self.anchor = anchor
        self.days = days
        self.end = datetime.combine(anchor, time(23, 59, 59), UTC)

    def date_of(self, day: int) -> date:
        return self.anchor - timedelta(days=self.days - day)

    def day(self, when: date) -> int:
        return self.days - (self.anchor - when).days

    def at(self, day: int, rng: random.Random) -> datetime:
        minute = rng.randint(_DAY_START_MINUTE, _DAY_END_MINUTE)
        return datetime.combine(self.date_of(day), time(minute // 60, minute % 60), UTC)

    def clamp(self, when: datetime) -> datetime:
        return min(when, self.end)


def _weighted(
    rng: random.Random, options: Sequence[tuple[str, int]], allowed: Sequence[str]
) -> str | None:
    available = [(key, weight) for key, weight in options if key in allowed]
    if not available:
        return None
    keys, weights = zip(*available, strict=True)
    return rng.choices(keys, weights)[0]


def _token(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(_TOKEN_ALPHABET) for _ in range(length))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _unique_email(local: str, domain: str, taken: set[str]) -> str:
    email = f"{local}@{domain}"
    n = 2
    while email in taken:
        email = f"{local}{n}@{domain}"
        n += 1
    taken.add(email)
    return email


def _phone(rng: random.Random) -> str:
    return f"+1{rng.choice(_AREA_CODES)}5550{rng.randint(100, 199)}"


# --- Customers ----------------------------------------------------------------------------------


@dataclass
class _Draft:
    key: str
    account_number: str
    kind: str
    name: str
    town: _Town
    reseller_key: str | None
    email: str | None
    phone: str | None
    contact: DemoAddress
    service: DemoAddress | None
    tags: list[str]
    history: list[DemoStatusChange]
    subscriptions: list[DemoSubscription] = field(default_factory=list)

    def freeze(self) -> DemoCustomer:
        return DemoCustomer(
            key=self.key,
            account_number=self.account_number,
            name=self.name,
            kind=self.kind,
            reseller_key=self.reseller_key,
            email=self.email,
            phone=self.phone,
            contact_address=self.contact,
            service_address=self.service,
            tags=tuple(dict.fromkeys(self.tags))[:5],
            history=tuple(self.history),
            subscriptions=tuple(self.subscriptions),
            created_at=self.history[0].at,
        )


class _CustomerFactory:
    def __init__(self, profile: _Profile, clock: _Clock, rng: random.Random) -> None:
        self.profile = profile
        self.clock = clock
        self.rng = rng
        self.emails: set[str] = set()
        self.person_names: set[str] = set()
        self.business_names: set[str] = set()
        self.resellers: list[_Draft] = []

    # Names, contact details and addresses

    def person(self) -> str:
        rng = self.rng
        name = ""
        for _ in range(3):  # a few namesakes are realistic, many are not
            name = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_SURNAMES)}"
            if name not in self.person_names:
                break
        self.person_names.add(name)
        return name

    def business(self, town: _Town) -> str:
        rng = self.rng
        name = ""
        for _ in range(20):
            pattern = rng.random()
            if pattern < 0.4:
                name = f"{rng.choice(_BUSINESS_PLACES)} {rng.choice(_BUSINESS_TRADES)}"
            elif pattern < 0.7:
                name = f"{rng.choice(_SURNAMES)} {rng.choice(_BUSINESS_TRADES)}"
            elif pattern < 0.85:
                first, second = rng.sample(_SURNAMES, 2)
                name = f"{first} & {second} {rng.choice(_PARTNERSHIPS)}"
            else:
                name = f"{town.name} {rng.choice(_BUSINESS_TRADES)}"
            if name not in self.business_names:
                break
        self.business_names.add(name)
        return name

    def person_email(self, name: str) -> str:
        rng = self.rng
        first, last = (_slug(part) for part in name.split(" ", 1))
        patterns = (f"{first}.{last}", f"{first}{last}", f"{first[0]}{last}", f"{first}_{last}")
        local = rng.choice((*patterns, f"{first}{last[0]}", f"{last}.{first}"))
        return _unique_email(local, rng.choice(_EMAIL_DOMAINS), self.emails)

    def business_email(self, name: str, mailbox: str) -> str:
        words = [w for w in name.split() if w not in ("LLC", "Inc", "Co", "&")]
        return _unique_email(mailbox, f"{_slug(''.join(words))}.example", self.emails)

    def address(self, town: _Town, kind: str) -> DemoAddress:
        rng = self.rng
        line2 = None
        if town.fiber or kind != "residential":
            line1 = f"{rng.randint(100, 4999)} {rng.choice(_STREETS)}"
            if kind != "residential" and rng.random() < 0.35:
                line2 = f"Suite {rng.randint(1, 3)}{rng.randint(0, 2)}{rng.randint(0, 9)}"
            elif kind == "residential" and rng.random() < 0.12:
                line2 = f"Apt {rng.randint(1, 24)}{rng.choice('ABCD')}"
        else:
            line1 = f"{rng.randint(30000, 92999)} {rng.choice(_RURAL_ROADS)}"
        return DemoAddress(line1, line2, town.name, _REGION, rng.choice(town.zips), _COUNTRY)

    def po_box(self, town: _Town) -> DemoAddress:
        box = f"PO Box {self.rng.randint(100, 9999)}"
        return DemoAddress(box, None, town.name, _REGION, town.zips[0], _COUNTRY)

    # Status history

    def history(self, day0: int, created: datetime, kind: str) -> list[DemoStatusChange]:
        rng, last_day = self.rng, self.clock.days
        age = last_day - day0
        roll = rng.random()
        churn = 0.04 + 0.12 * min(age, 730) / 730
        if kind == "reseller":
            target = "active"
        elif roll < 0.07:
            target = "lead" if age <= 45 else "lost"
        elif roll < 0.09:
            target = "lost"
        elif roll < 0.15:
            target = "suspended"
        elif roll < 0.15 + churn:
            target = "cancelled"
        else:
            target = "active"

        events: list[tuple[str, int, str | None]] = []
        if target in ("lead", "lost") or (kind != "reseller" and rng.random() < 0.3):
            events.append(("lead", day0, None))
            if target == "lost":
                lost = day0 + rng.randint(5, 40)
                if lost <= last_day:
                    events.append(("cancelled", lost, rng.choice(_LEAD_LOST_REASONS)))
                return self._times(events, created)
            if target == "lead":
                return self._times(events, created)
            activated = day0 + rng.randint(1, 21)
            if activated > last_day:
                return self._times(events, created)  # still being installed
            events.append(("active", activated, None))
        else:
            events.append(("active", day0, None))
        last = events[-1][1]

        if target != "cancelled" and last_day - last > 60 and rng.random() < 0.07:
            suspended = rng.randint(last + 30, last_day - 20)
            events.append(("suspended", suspended, rng.choice(_OVERDUE_REASONS)))
            reactivated = suspended + rng.randint(2, 14)
            events.append(("active", reactivated, rng.choice(_REACTIVATION_REASONS)))
            last = reactivated

        if target == "suspended":
            first = max(last + 1, last_day - 60)
            if first <= last_day:
                events.append(
                    ("suspended", rng.randint(first, last_day), rng.choice(_SUSPENSION_REASONS))
                )
        elif target == "cancelled" and last + 1 <= last_day:
            if last + 2 <= last_day and rng.random() < 0.25:
                suspended = rng.randint(last + 1, last_day - 1)
                events.append(("suspended", suspended, rng.choice(_OVERDUE_REASONS)))
                cancelled = rng.randint(suspended + 1, min(last_day, suspended + 45))
                events.append(("cancelled", cancelled, _NON_PAYMENT_CANCELLATION))
            else:
                cancelled = rng.randint(last + 1, last_day)
                events.append(("cancelled", cancelled, rng.choice(_CANCELLATION_REASONS)))
        return self._times(events, created)

    def _times(
        self, events: list[tuple[str, int, str | None]], created: datetime
    ) -> list[DemoStatusChange]:
        changes = [DemoStatusChange(events[0][0], created, events[0][2])]
        for status, day, reason in events[1:]:
            changes.append(DemoStatusChange(status, self.clock.at(day, self.rng), reason))
        return changes

    # Subscriptions

    def subscriptions(
        self, draft: _Draft, history: list[DemoStatusChange]
    ) -> list[DemoSubscription]:
        rng, clock, plans = self.rng, self.clock, self.profile.plans
        activations = [c for c in history if c.to_status == "active"]
        if not activations:
            return []
        start = clock.day(activations[0].at.date())
        cancellation = next((c for c in history if c.to_status == "cancelled"), None)
        end = clock.day(cancellation.at.date()) if cancellation else None

        if draft.kind == "business":
            plan = _weighted(rng, _BUSINESS, plans)
        elif draft.town.fiber:
            plan = _weighted(rng, _RESIDENTIAL_FIBER, plans)
        else:
            plan = _weighted(rng, _RESIDENTIAL_RURAL, plans)
        legacy = _LEGACY[draft.town.fiber]
        early = start < 0.4 * clock.days
        if draft.kind == "residential" and legacy in plans and early and rng.random() < 0.3:
            plan = legacy
        assert plan is not None, "every scenario sells a residential and a business plan"

        chain = [plan]
        change_day: int | None = None
        span = (end if end is not None else clock.days) - start
        changes = rng.random() < (0.75 if _CATALOGUE[plan].retired else 0.12)
        if changes and span >= 45:
            options = [
                key
                for key in _CHANGES.get(plan, ())
                if key in plans and not _CATALOGUE[key].retired
            ]
            if options:
                chain.append(rng.choice(options))
                change_day = rng.randint(start + 14, start + span - 7)

        subscriptions = []
        if change_day is None:
            subscriptions.append(DemoSubscription(chain[0], clock.date_of(start), None, None))
        else:
            changed = clock.date_of(change_day)
            subscriptions.append(
                DemoSubscription(chain[0], clock.date_of(start), changed, "changed")
            )
            subscriptions.append(DemoSubscription(chain[1], changed, None, None))
        if end is not None:
            subscriptions[-1] = replace(
                subscriptions[-1], ends_on=clock.date_of(end), end_reason="cancelled"
            )
        return subscriptions

    # Whole customers

    def build(self) -> tuple[list[_Draft], list[DemoPlan]]:
        rng, profile, clock = self.rng, self.profile, self.clock
        businesses = round(profile.customers * profile.business_share)
        residential = profile.customers - profile.resellers - businesses
        kinds = ["reseller"] * profile.resellers + ["business"] * businesses
        kinds += ["residential"] * residential

        starts: list[tuple[int, int, int, str]] = []
        for index, kind in enumerate(kinds):
            if kind == "reseller":
                day = rng.randint(0, clock.days // 10)
            else:  # a little more growth lately than early on
                day = min(clock.days, int((clock.days + 1) * rng.random() ** 0.85))
            minute = rng.randint(_DAY_START_MINUTE, _DAY_END_MINUTE)
            starts.append((day, minute, index, kind))
        starts.sort()

        reseller_names = list(_RESELLER_NAMES)
        rng.shuffle(reseller_names)
        town_weights = [town.weight for town in _TOWNS]
        fiber_weights = [town.weight for town in _FIBER_TOWNS]
        drafts: list[_Draft] = []
        for number, (day, minute, _, kind) in enumerate(starts, start=1):
            created = datetime.combine(clock.date_of(day), time(minute // 60, minute % 60), UTC)
            if kind == "residential":
                town = rng.choices(_TOWNS, town_weights)[0]
                name = self.person()
                email = self.person_email(name) if rng.random() < 0.93 else None
            else:
                town = rng.choices(_FIBER_TOWNS, fiber_weights)[0]
                if kind == "reseller":
                    name = reseller_names.pop()
                    self.business_names.add(name)
                    email = self.business_email(name, "partners")
                else:
                    name = self.business(town)
                    email = self.business_email(name, rng.choice(_BUSINESS_MAILBOXES))
            phone = _phone(rng) if rng.random() < 0.9 else None
            contact = self.address(town, kind)
            service = None if kind == "reseller" else contact  # resellers have no premises line
            if service is not None and rng.random() < 0.06:
                contact = self.po_box(town)

            reseller_key = None
            if kind == "residential" and self.resellers and rng.random() < 0.17:
                reseller_key = rng.choice(self.resellers).key

            history = self.history(day, created, kind)
            draft = _Draft(
                key=f"c{number:04d}",
                account_number=f"C{number:07d}",
                kind=kind,
                name=name,
                town=town,
                reseller_key=reseller_key,
                email=email,
                phone=phone,
                contact=contact,
                service=service,
                tags=[],
                history=history,
            )
            if kind != "reseller":
                draft.subscriptions = self.subscriptions(draft, history)
            draft.tags = self.tags(draft)
            drafts.append(draft)
            if kind == "reseller":
                self.resellers.append(draft)

        return drafts, self.custom_packages(drafts)

    def tags(self, draft: _Draft) -> list[str]:
        rng = self.rng
        tags: list[str] = []
        if draft.kind == "reseller":
            return ["wholesale", "partner", "paperless"]
        tags.append("fiber" if draft.town.fiber else "wireless")
        if draft.kind == "business":
            if rng.random() < 0.3:
                tags.append("static ip")
            if rng.random() < 0.4:
                tags.append("net30")
        if draft.subscriptions and rng.random() < 0.55:
            tags.append("autopay")
        if rng.random() < 0.45:
            tags.append("paperless")
        if draft.kind == "residential" and rng.random() < 0.04:
            tags.append("senior discount")
        if rng.random() < 0.05:
            tags.append("referral")
        if rng.random() < 0.03:
            tags.append("vip")
        return tags

    def custom_packages(self, drafts: list[_Draft]) -> list[DemoPlan]:
        """Give each reseller a wholesale package and some business customers a dedicated one."""
        rng, clock = self.rng, self.clock
        plans: list[DemoPlan] = []
        for reseller in self.resellers:
            speed = rng.choice((5000, 10000))
            plan = DemoPlan(
                key=f"custom-{reseller.key}",
                name=f"Wholesale {speed // 1000}G - {reseller.name}",
                description="Wholesale transit for a reseller: per-subscriber VLANs, 99.9% SLA.",
                download_mbps=speed,
                upload_mbps=speed,
                data_cap_gb=None,
                price=Decimal("1650.00") if speed == 5000 else Decimal("2900.00"),
                setup_fee=Decimal("1500.00"),
                currency="USD",
                billing_cycle="quarterly",
                retired=False,
                customer_key=reseller.key,
            )
            plans.append(plan)
            start = next(c for c in reseller.history if c.to_status == "active").at.date()
            reseller.subscriptions = [DemoSubscription(plan.key, start, None, None)]
            reseller.tags.append("sla")

        latest_start = clock.date_of(clock.days - 21)
        eligible = [
            d
            for d in drafts
            if d.kind == "business"
            and d.history[-1].to_status == "active"
            and d.subscriptions
            and d.subscriptions[-1].starts_on <= latest_start
        ]
        chosen = rng.sample(eligible, min(self.profile.custom_packages, len(eligible)))
        for draft in sorted(chosen, key=lambda d: d.key):
            speed, label, price, setup = rng.choice(_DEDICATED)
            annual = rng.random() < 0.25
            plan = DemoPlan(
                key=f"custom-{draft.key}",
                name=f"{label} - {draft.name}",
                description=f"Custom package: {label} symmetric, 99.9% SLA and a static /29.",
                download_mbps=speed,
                upload_mbps=speed,
                data_cap_gb=None,
                price=(Decimal(price) * 11) if annual else Decimal(price),
                setup_fee=Decimal(setup),
                currency="USD",
                billing_cycle="annual" if annual else "monthly",
                retired=False,
                customer_key=draft.key,
            )
            plans.append(plan)
            current = draft.subscriptions[-1]
            if rng.random() < 0.4:  # on the custom package from the start
                started = draft.subscriptions[0].starts_on
                draft.subscriptions = [DemoSubscription(plan.key, started, None, None)]
            else:  # moved from a catalogue plan to the custom package
                first = clock.day(current.starts_on) + 7
                moved = clock.date_of(rng.randint(first, clock.days - 1))
                draft.subscriptions[-1] = replace(current, ends_on=moved, end_reason="changed")
                draft.subscriptions.append(DemoSubscription(plan.key, moved, None, None))
            draft.tags.insert(1, "sla")
        return plans


# --- Devices ------------------------------------------------------------------------------------


def _devices(profile: _Profile, rng: random.Random) -> tuple[DemoDevice, ...]:
    """Each site's devices, numbered by role, on the site's own made-up /24 (what an ISP's
    inventory looks like). The loader may re-point them at a simulated fleet, as v2c."""
    community = f"ro-{_token(rng, 10)}"
    auth_key, privacy_key = _token(rng, 20), _token(rng, 20)
    v2c = DemoSnmp("v2c", 161, community, None, None, None, None, None)
    v3 = DemoSnmp(
        version="v3",
        port=161,
        community=None,
        username="nms-poller",
        auth_protocol=profile.auth_protocol,
        auth_key=auth_key,
        privacy_protocol=profile.privacy_protocol,
        privacy_key=privacy_key,
    )
    devices: list[DemoDevice] = []
    for index, site in enumerate(profile.sites):
        network = ipaddress.ip_network(f"10.{20 + index}.0.0/24")
        for role, count in site.devices:
            models = _MODELS[role]
            vendor, model = models[0] if len(profile.sites) <= 3 else models[index % len(models)]
            for n in range(1, count + 1):
                name = f"{site.code}-{_ROLE_NAMES[role]}-{n:02d}"
                if role == "switch" and not any(r == "router" for r, _ in site.devices):
                    name = f"{site.code}-sw-{n:02d}"  # a tower's switch, not distribution
                devices.append(
                    DemoDevice(
                        key=name,
                        name=name,
                        vendor=vendor,
                        model=model,
                        role=role,
                        management_ip=str(network.network_address + _ROLE_HOSTS[role] + n - 1),
                        site=site.name,
                        snmp=v3 if role in profile.snmp_v3_roles else v2c,
                    )
                )
    return tuple(devices)


# --- Tickets ------------------------------------------------------------------------------------


class _TicketFactory:
    def __init__(
        self, profile: _Profile, clock: _Clock, rng: random.Random, customers: list[_Draft]
    ) -> None:
        self.profile = profile
        self.clock = clock
        self.rng = rng
        # Customers with service, and the days (inclusive) they had it.
        self.served: list[tuple[_Draft, int, int]] = []
        for customer in customers:
            if customer.subscriptions and customer.kind != "reseller":
                start = clock.day(customer.subscriptions[0].starts_on)
                ends_on = customer.subscriptions[-1].ends_on
                end = clock.day(ends_on) if ends_on else clock.days
                self.served.append((customer, start, end))

    def statuses(self) -> list[str]:
        count = self.profile.tickets
        statuses = ["open", "pending", "resolved", "closed"][:count]
        while len(statuses) < count:
            statuses.append(
                self.rng.choices(("open", "pending", "resolved", "closed"), (15, 10, 20, 55))[0]
            )
        return statuses

    def window(self, status: str) -> tuple[int, int]:
        days = self.clock.days
        first = {"open": days - 6, "pending": days - 14, "resolved": days - 21, "closed": 0}
        last = {"open": days, "pending": days - 1, "resolved": days - 1, "closed": days - 5}
        return max(0, first[status]), max(0, last[status])

    def customer(self, audience: str, first: int, last: int) -> tuple[_Draft | None, int]:
        rng = self.rng
        if audience != "internal":
            for _ in range(60):
                customer, start, end = rng.choice(self.served)
                if audience not in ("any", customer.kind):
                    continue
                low, high = max(first, start + 1), min(last, end)  # after the install day
                if low <= high:
                    return customer, rng.randint(low, high)
        return None, rng.randint(first, last)

    def build(self) -> tuple[DemoTicket, ...]:
        rng, clock = self.rng, self.clock
        statuses = self.statuses()
        if len(statuses) <= len(_TICKET_KINDS):
            kinds = rng.sample(_TICKET_KINDS, len(statuses))
        else:
            kinds = [rng.choice(_TICKET_KINDS) for _ in statuses]
        tickets = []
        for status, kind in zip(statuses, kinds, strict=True):
            first, last = self.window(status)
            customer, day = self.customer(kind.audience, first, last)
            if customer is None and kind.audience != "internal":
                kind = next(k for k in _TICKET_KINDS if k.audience == "internal")
            created = clock.at(day, rng)
            tickets.append(self.ticket(kind, status, customer, created))
        tickets.sort(key=lambda t: t.created_at)
        return tuple(tickets)

    def ticket(
        self, kind: _TicketKind, status: str, customer: _Draft | None, created: datetime
    ) -> DemoTicket:
        rng, clock = self.rng, self.clock
        internal = customer is None
        resolved_at = closed_at = None
        duplicate = False
        if status in ("resolved", "closed"):
            resolved_at = clock.clamp(created + timedelta(minutes=rng.randint(40, 3 * 24 * 60)))
            if status == "closed":
                duplicate = rng.random() < 0.1
                closed_at = clock.clamp(resolved_at + timedelta(days=rng.randint(1, 4)))
                if duplicate:
                    closed_at, resolved_at = clock.clamp(created + timedelta(hours=2)), None
        # Open and pending tickets had their last update within a few days of being opened.
        until = resolved_at or closed_at or clock.clamp(created + timedelta(days=3))

        script: list[tuple[str, bool]] = []  # (body, by_staff) before the final comment
        if not duplicate:
            script.append((rng.choice(_ASSIGNED if internal else _ACKNOWLEDGED), True))
            if rng.random() < 0.6:
                script.append((kind.follow_up, internal))
            if status != "open" or rng.random() < 0.5:
                script.append((kind.check, True))
            if status == "open" and rng.random() < 0.5:
                script = script[:1]
        final: tuple[str, bool] | None = None
        if status == "pending":
            final = (kind.question, True)
        elif status in ("resolved", "closed") and not duplicate:
            final = (kind.resolution, True)
        elif duplicate:
            final = (_DUPLICATE_CLOSE, True)

        span = max(1, int((until - created).total_seconds() // 60))
        # The first answer comes within the hour or two, the rest spread over the ticket's life.
        first = rng.randint(1, min(span, 15 if kind.priority == "urgent" else 120))
        offsets = sorted([first, *(rng.randint(first, span) for _ in script[1:])])[: len(script)]
        comments = [
            DemoComment(body, clock.clamp(created + timedelta(minutes=offset)), by_staff)
            for (body, by_staff), offset in zip(script, offsets, strict=True)
        ]
        if final is not None:
            at = resolved_at or closed_at or clock.clamp(created + timedelta(minutes=span))
            if comments:
                at = max(at, comments[-1].at)
            comments.append(DemoComment(final[0], at, final[1]))
        if status == "closed" and not duplicate and not internal and rng.random() < 0.4:
            assert closed_at is not None
            comments.append(DemoComment(rng.choice(_THANKS), closed_at, False))

        priority = kind.priority
        if priority == "normal" and customer is not None and "vip" in customer.tags:
            priority = "high"
        return DemoTicket(
            subject=kind.subject,
            description=kind.description,
            status=status,
            priority=priority,
            customer_key=customer.key if customer else None,
            created_at=created,
            resolved_at=resolved_at,
            closed_at=closed_at,
            comments=tuple(comments),
        )


# --- Building a scenario ------------------------------------------------------------------------


def build(scenario: str, anchor: date) -> Scenario:
    """The demo data of `scenario` ("small", "medium" or "enterprise") as of `anchor`."""
    profile = _PROFILES.get(scenario)
    if profile is None:
        raise ValueError(
            f"unknown demo scenario {scenario!r}: choose one of {', '.join(SCENARIOS)}"
        )
    if isinstance(anchor, datetime):
        anchor = anchor.date()
    clock = _Clock(anchor, profile.days)

    customers = _CustomerFactory(profile, clock, random.Random(f"{scenario}:customers"))
    drafts, custom = customers.build()
    devices = _devices(profile, random.Random(f"{scenario}:devices"))
    tickets = _TicketFactory(profile, clock, random.Random(f"{scenario}:tickets"), drafts).build()
    return Scenario(
        name=scenario,
        anchor=anchor,
        plans=tuple(_CATALOGUE[key] for key in profile.plans) + tuple(custom),
        customers=tuple(draft.freeze() for draft in drafts),
        devices=devices,
        tickets=tickets,
        automations=profile.automations,
    )
