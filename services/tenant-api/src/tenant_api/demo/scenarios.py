"""Deterministic demo data for an ISP tenant: plans, customers with their status history and
subscriptions, network devices, support tickets and (enterprise) automation examples.

`build(scenario, anchor)` is pure: no database, no I/O, no clock. Every random choice comes from
a `random.Random` seeded with the scenario name, and every date is an offset from `anchor` (the
day the data is generated for), so the same arguments always give the same `Scenario`, and a
later anchor gives the same data moved later by the same number of days. All times are UTC and
never after the end of the anchor day; customers, status changes and tickets happen between
15:00 and 23:59 UTC (the working day in Oregon, where the demo ISP is), replies and resolutions
some minutes to days later.
"""

import ipaddress
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

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


# --- Word lists ---------------------------------------------------------------------------------

# fmt: off
_FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Christopher", "Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Betty", "Mark",
    "Sandra", "Donald", "Margaret", "Steven", "Ashley", "Andrew", "Kimberly", "Paul", "Emily",
    "Joshua", "Donna", "Kenneth", "Michelle", "Kevin", "Carol", "Brian", "Amanda", "George",
    "Melissa", "Timothy", "Deborah", "Ronald", "Stephanie", "Jason", "Rebecca", "Edward", "Laura",
    "Jeffrey", "Helen", "Ryan", "Sharon", "Jacob", "Cynthia", "Gary", "Kathleen", "Nicholas",
    "Amy", "Eric", "Angela", "Jonathan", "Anna", "Stephen", "Ruth", "Larry", "Brenda", "Justin",
    "Pamela", "Scott", "Nicole", "Brandon", "Katherine", "Benjamin", "Samantha", "Samuel",
    "Christine", "Gregory", "Emma", "Alexander", "Catherine", "Patrick", "Rachel", "Frank",
    "Carolyn", "Raymond", "Janet", "Jack", "Maria", "Dennis", "Olivia", "Tyler", "Heather",
    "Aaron", "Diane", "Jose", "Julie", "Adam", "Joyce", "Nathan", "Victoria", "Henry", "Kelly",
    "Zachary", "Christina", "Douglas", "Lauren", "Peter", "Joan", "Kyle", "Evelyn", "Noah",
    "Megan", "Ethan", "Andrea", "Walter", "Hannah", "Keith", "Martha", "Austin", "Madison",
    "Sean", "Gloria", "Carl", "Abigail", "Dylan", "Sophia", "Jordan", "Grace", "Logan", "Amber",
    "Wei", "Mei", "Hiroshi", "Yuki", "Priya", "Arjun", "Ananya", "Rahul", "Fatima", "Omar",
    "Aisha", "Sofia", "Mateo", "Camila", "Diego", "Lucia", "Carlos", "Luis", "Guadalupe",
    "Jorge", "Thanh", "Linh", "Minh", "Min-jun", "Seo-yeon", "Kwame", "Amara", "Chinwe",
    "Tariq", "Leila", "Nikolai", "Anya", "Ingrid", "Lars", "Siobhan", "Declan", "Maya", "Owen",
    "Caleb", "Harper", "Wyatt", "Hazel", "Elena", "Isaac", "Nora", "Levi", "Ruby", "Silas",
)
_SURNAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans",
    "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris",
    "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson",
    "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson",
    "Brooks", "Chavez", "Wood", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes", "Price",
    "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez",
    "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler",
    "Henderson", "Barnes", "Fisher", "Vasquez", "Simmons", "Romero", "Patterson", "Hamilton",
    "Graham", "Reynolds", "Griffin", "Wallace", "Moreno", "West", "Cole", "Hayes", "Bryant",
    "Herrera", "Gibson", "Ellis", "Tran", "Medina", "Aguilar", "Stevens", "Murray", "Ford",
    "Castro", "Marshall", "Owens", "Harrison", "Fernandez", "McDonald", "Woods", "Kennedy",
    "Wells", "Vargas", "Chen", "Freeman", "Webb", "Tucker", "Burns", "Crawford", "Olson",
    "Porter", "Hunter", "Silva", "Shaw", "Snyder", "Holmes", "Palmer", "Wagner", "Schmidt",
    "O'Brien", "Yamamoto", "Tanaka", "Wong", "Liu", "Huang", "Park", "Choi", "Singh", "Shah",
    "Okafor", "Mensah", "Kowalski", "Novak", "Lindqvist", "Larsen", "Jensen", "Hansen",
)
_STREETS = (
    "Maple Street", "Oak Avenue", "Willamette Street", "Pearl Street", "River Road",
    "Coburg Road", "Gateway Street", "Main Street", "Mohawk Boulevard", "Thurston Road",
    "Hayden Bridge Way", "Harlow Road", "Game Farm Road", "Crest Drive", "Cedar Lane",
    "Pine Street", "Alder Street", "Hilyard Street", "Agate Street", "Friendly Street",
    "Chambers Street", "Polk Street", "Jefferson Street", "Lincoln Street", "Garfield Street",
    "Monroe Street", "Madison Street", "Elm Court", "Birch Lane", "Hawthorne Avenue",
    "Sunset Drive", "Ridgeway Drive", "Meadow View Drive", "Orchard Lane", "Vine Maple Way",
    "Douglas Fir Drive", "Cherry Lane", "Filbert Lane", "Laurel Hill Drive", "Chickadee Lane",
    "Heron Way", "Osprey Court", "Kingfisher Lane", "Creekside Drive", "Mill Street",
    "Railroad Avenue", "Church Street", "School Street", "Park Avenue", "Lakeview Drive",
    "Butte Lane", "Timberline Drive", "Quince Street", "Bluebell Way", "Fairmount Boulevard",
    "Summit Avenue", "Valley View Drive", "Pioneer Parkway", "Spring Boulevard", "Holly Street",
)
_RURAL_ROADS = (
    "Jasper Road", "Territorial Highway", "Fern Ridge Road", "Fox Hollow Road",
    "Spencer Creek Road", "Lorane Highway", "Row River Road", "McKenzie Highway", "Marcola Road",
    "Jasper Lowell Road", "Dexter Road", "Wendling Road", "Sunderman Road", "Crow Road",
    "Hamm Road", "Shotgun Creek Road", "Big Fall Creek Road", "Pengra Road",
)
# fmt: on


@dataclass(frozen=True)
class _Town:
    name: str
    zips: tuple[str, ...]
    fiber: bool
    weight: int


_REGION = "OR"
_COUNTRY = "US"
_TOWNS = (
    _Town("Eugene", ("97401", "97402", "97403", "97404", "97405"), True, 30),
    _Town("Springfield", ("97477", "97478"), True, 20),
    _Town("Cottage Grove", ("97424",), True, 6),
    _Town("Creswell", ("97426",), True, 4),
    _Town("Junction City", ("97448",), True, 5),
    _Town("Coburg", ("97408",), True, 2),
    _Town("Florence", ("97439",), True, 6),
    _Town("Veneta", ("97487",), False, 5),
    _Town("Oakridge", ("97463",), False, 4),
    _Town("Lowell", ("97452",), False, 3),
    _Town("Marcola", ("97454",), False, 2),
    _Town("Dexter", ("97431",), False, 2),
    _Town("Pleasant Hill", ("97455",), False, 3),
    _Town("Elmira", ("97437",), False, 2),
)
_FIBER_TOWNS = tuple(town for town in _TOWNS if town.fiber)
_AREA_CODES = ("541", "458")
_EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example")

# fmt: off
_BUSINESS_PLACES = (
    "Cascade", "Willamette", "McKenzie", "Coast Fork", "Riverbend", "Ridgeline", "Timberline",
    "Blue Heron", "Osprey", "Emerald", "Pioneer", "Skyline", "Fernwood", "Cedar Creek", "Valley",
    "Summit", "Old Mill", "Red Barn", "Lone Pine", "Silver Creek", "Three Sisters", "Sunrise",
    "Evergreen", "Bluebird", "North Fork", "Fox Hollow", "Hidden Springs", "Spencer Butte",
)
_BUSINESS_TRADES = (
    "Dental", "Family Dental", "Veterinary Clinic", "Farms", "Brewing Co", "Auto Repair",
    "Coffee Roasters", "Law Group", "Construction Inc", "Realty", "Bakery", "Fitness",
    "Machine Works", "Landscaping LLC", "Chiropractic", "Insurance Agency", "Hardware",
    "Pizza Co", "Winery", "Nursery", "Self Storage LLC", "Design Studio", "Physical Therapy",
    "Bookkeeping LLC", "Electric Inc", "Plumbing LLC", "Market", "Animal Hospital",
    "Cabinetry Inc", "Outfitters",
)
# fmt: on
_PARTNERSHIPS = ("CPAs", "Attorneys", "Architects", "Surveying Inc", "Engineering LLC")
_RESELLER_NAMES = (
    "Cascade Connect Partners LLC",
    "Valley Link Resale Inc",
    "McKenzie Net Services LLC",
    "Emerald Broadband Partners Inc",
)
_BUSINESS_MAILBOXES = ("info", "office", "billing", "frontdesk", "admin")

_LEAD_LOST_REASONS = (
    "Address outside the current coverage area",
    "Chose another provider",
    "No response after three follow-up calls",
    "Install cost too high for the location",
)
_OVERDUE_REASONS = (
    "Payment overdue 45 days",
    "Payment overdue 60 days",
    "Card declined three times",
    "Payment overdue 30 days, no reply to reminders",
)
_SUSPENSION_REASONS = (
    *_OVERDUE_REASONS,
    "Seasonal hold requested by the customer",
    "Acceptable use complaint under review",
)
_REACTIVATION_REASONS = ("Payment received in full", "Payment plan agreed", None)
_CANCELLATION_REASONS = (
    "Moved out of the service area",
    "Switched to another provider",
    "Price too high",
    "No longer needs home internet",
    "Moving in with family",
    "Business closed",
)
_NON_PAYMENT_CANCELLATION = "Closed for non-payment after suspension"


# --- Plans --------------------------------------------------------------------------------------


def _plan(
    key: str,
    name: str,
    description: str,
    down: int,
    up: int,
    cap: int | None,
    price: str,
    setup: str,
    cycle: str = "monthly",
    retired: bool = False,
) -> DemoPlan:
    return DemoPlan(
        key=key,
        name=name,
        description=description,
        download_mbps=down,
        upload_mbps=up,
        data_cap_gb=cap,
        price=Decimal(price),
        setup_fee=Decimal(setup),
        currency="USD",
        billing_cycle=cycle,
        retired=retired,
        customer_key=None,
    )


# fmt: off
_CATALOGUE = {
    plan.key: plan
    for plan in (
        _plan("fiber-100", "Fiber 100", "Symmetric 100 Mbps fiber, no data cap.",
              100, 100, None, "54.99", "0.00"),
        _plan("fiber-500", "Fiber 500", "Symmetric 500 Mbps fiber with a Wi-Fi 6 router.",
              500, 500, None, "74.99", "0.00"),
        _plan("gigabit", "Gigabit", "Symmetric 1 Gbps fiber with a Wi-Fi 6 mesh kit.",
              1000, 1000, None, "94.99", "0.00"),
        _plan("fiber-2g", "Fiber 2 Gig", "Symmetric 2 Gbps fiber for power users.",
              2000, 2000, None, "129.99", "99.00"),
        _plan("fiber-500-annual", "Fiber 500 Annual", "Fiber 500 paid yearly: one month free.",
              500, 500, None, "824.89", "0.00", "annual"),
        _plan("rural-wireless-25", "Rural Wireless 25", "Fixed wireless from our towers.",
              25, 5, 500, "49.99", "149.00"),
        _plan("rural-wireless-50", "Rural Wireless 50", "Fixed wireless, no data cap.",
              50, 10, None, "64.99", "149.00"),
        _plan("business-300", "Business 300", "Symmetric 300 Mbps with a static IP.",
              300, 300, None, "119.00", "199.00"),
        _plan("business-1g", "Business 1G", "Symmetric 1 Gbps, 5 static IPs, 4-hour response.",
              1000, 1000, None, "189.00", "249.00", "quarterly"),
        _plan("dsl-20-legacy", "DSL 20 (legacy)", "Copper DSL, replaced by fiber.",
              20, 2, 250, "39.99", "0.00", retired=True),
        _plan("wireless-10-legacy", "Wireless 10 (legacy)", "First-generation fixed wireless.",
              10, 2, 150, "44.99", "99.00", retired=True),
    )
}

_RESIDENTIAL_FIBER = (
    ("fiber-100", 40), ("fiber-500", 30), ("gigabit", 20), ("fiber-2g", 4),
    ("fiber-500-annual", 6),
)
# fmt: on
_RESIDENTIAL_RURAL = (("rural-wireless-25", 60), ("rural-wireless-50", 40))
_BUSINESS = (("business-1g", 45), ("business-300", 55), ("gigabit", 1), ("fiber-500", 1))
_CHANGES = {
    "fiber-100": ("fiber-500", "gigabit"),
    "fiber-500": ("gigabit", "fiber-100", "fiber-500-annual"),
    "fiber-500-annual": ("fiber-500", "gigabit"),
    "gigabit": ("fiber-2g", "fiber-500", "fiber-100"),
    "fiber-2g": ("gigabit",),
    "rural-wireless-25": ("rural-wireless-50",),
    "rural-wireless-50": ("rural-wireless-25",),
    "business-300": ("business-1g",),
    "business-1g": ("business-300",),
    "dsl-20-legacy": ("fiber-100", "fiber-500"),
    "wireless-10-legacy": ("rural-wireless-25", "rural-wireless-50"),
}
_LEGACY = {True: "dsl-20-legacy", False: "wireless-10-legacy"}  # by whether the town has fiber

_DEDICATED = (
    (500, "Dedicated 500", "399.00", "500.00"),
    (1000, "Dedicated 1G", "549.00", "750.00"),
    (2000, "Dedicated 2G", "849.00", "750.00"),
    (10000, "Dedicated 10G", "1899.00", "1500.00"),
)


# --- Devices ------------------------------------------------------------------------------------

_MODELS = {
    "router": (
        ("MikroTik", "CCR2004-1G-12S+2XS"),
        ("Cisco", "ASR 920-12CZ-A"),
        ("Juniper", "MX204"),
        ("MikroTik", "CCR2116-12G-4S+"),
    ),
    "firewall": (("Fortinet", "FortiGate 100F"), ("Netgate", "6100 MAX"), ("Juniper", "SRX345")),
    "switch": (
        ("Ubiquiti", "EdgeSwitch 24"),
        ("MikroTik", "CRS326-24S+2Q+"),
        ("Cisco", "Catalyst 9300-24T"),
        ("Ubiquiti", "EdgeSwitch 48"),
    ),
    "olt": (("Huawei", "MA5800-X2"), ("Huawei", "MA5800-X7"), ("Nokia", "ISAM FX-8")),
    "access_point": (
        ("Cambium", "ePMP 3000"),
        ("Cambium", "ePMP 4500"),
        ("Ubiquiti", "Rocket Prism 5AC Gen2"),
    ),
}
_ROLE_NAMES = {
    "router": "core",
    "firewall": "fw",
    "switch": "dsw",
    "olt": "olt",
    "access_point": "ap",
}
_ROLE_HOSTS = {"router": 1, "firewall": 10, "switch": 20, "olt": 40, "access_point": 100}
"""Where each role's management addresses start in its site's /24."""


@dataclass(frozen=True)
class _Site:
    name: str
    code: str
    devices: tuple[tuple[str, int], ...]


def _pop(name: str, code: str, routers: int, firewalls: int, switches: int, olts: int) -> _Site:
    roles = (("router", routers), ("firewall", firewalls), ("switch", switches), ("olt", olts))
    return _Site(name, code, tuple((role, n) for role, n in roles if n))


def _tower(name: str, code: str, access_points: int, switches: int = 1) -> _Site:
    roles = (("switch", switches), ("access_point", access_points))
    return _Site(name, code, tuple((role, n) for role, n in roles if n))


# --- Tickets ------------------------------------------------------------------------------------


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


_ACKNOWLEDGED = (
    "Thanks for reaching out. I'm looking into this now and will update you here.",
    "Thanks for the report. I've opened a case with our network team.",
    "Got it, thank you. I can see your connection on our side and I'm checking it now.",
)
_ASSIGNED = (
    "Assigned to the field team; updates to follow here.",
    "NOC is on it. Customer-facing status page updated.",
)
_THANKS = (
    "Thanks, everything looks good now.",
    "Working fine since yesterday, thank you!",
    "All good on our end. Appreciate the quick help.",
)
_DUPLICATE_CLOSE = "Closing as a duplicate: this is tracked on the earlier ticket for the account."

# fmt: off
_TICKET_KINDS = (
    _TicketKind(
        "Slow speeds in the evening",
        "Speeds drop to around 10 Mbps every evening between 7 and 10 pm. Daytime speed tests "
        "look fine.",
        "normal", "residential",
        "Tested again tonight at 8:30 pm: 12 Mbps down on a wired laptop.",
        "Your line looks clean. I'm checking utilisation on the node that serves your street.",
        "Could you run a speed test with a laptop plugged into the router and send the result?",
        "The node serving your area was congested at peak. We moved it to a new 10G uplink and "
        "evening speeds are back to plan.",
    ),
    _TicketKind(
        "No connection since the storm",
        "Lost internet last night during the wind storm. The router lights are on but nothing "
        "connects.",
        "high", "any",
        "Still down this morning. The small box on the outside wall has a red light.",
        "Our monitoring shows your ONT offline since the storm. A technician is being scheduled.",
        "Is someone home tomorrow between 9 and 12 so the technician can reach the outside box?",
        "A falling branch damaged the drop cable. The technician replaced it and service is "
        "restored.",
    ),
    _TicketKind(
        "Wi-Fi drops in the back bedroom",
        "Wi-Fi keeps dropping in the back of the house. Wired devices are fine.",
        "low", "residential",
        "It happens mostly on my daughter's laptop.",
        "Signal from your router is weak at the far end of the house. A mesh point would help.",
        "Would you like us to ship a mesh access point? It is included with your plan.",
        "Shipped and paired a mesh access point. Coverage in the bedroom is now good.",
    ),
    _TicketKind(
        "Question about my last invoice",
        "My last invoice is higher than usual. Was I charged twice this month?",
        "normal", "any",
        "The charge shows twice on my card statement.",
        "I can see a prorated charge from your plan change plus the regular monthly charge.",
        "Could you confirm the last four digits of the card that was charged twice?",
        "The second card charge was a duplicate payment. We refunded it; it should appear in "
        "3-5 business days.",
    ),
    _TicketKind(
        "Request to upgrade plan",
        "We are working from home more and would like a faster plan. What are the options?",
        "low", "residential",
        "Does the upgrade need a new router?",
        "Your current router supports up to 1 Gbps, so no new equipment is needed.",
        "Which plan would you like, and should it start today or on your next billing date?",
        "Plan upgraded as requested. The new speed is live and the next invoice is prorated.",
    ),
    _TicketKind(
        "Intermittent packet loss while gaming",
        "Online games lag and drop every few minutes. Ping spikes to 300 ms.",
        "normal", "residential",
        "Attached a screenshot of the ping graph: spikes every 5-10 minutes.",
        "I see CRC errors on your fiber port. Scheduling a remote port reset and a light test.",
        "Are you on Wi-Fi or wired when this happens?",
        "Moved your service to a clean port on the OLT. Packet loss is gone in our tests.",
    ),
    _TicketKind(
        "Static IP request for home office",
        "My employer needs a static IP for their VPN allow-list. Is that available?",
        "low", "residential",
        "IT says a single IPv4 address is enough.",
        "Static IPs are available for a small monthly fee. Preparing the assignment.",
        "Can you confirm you accept the added monthly fee for the static IP?",
        "Assigned a static IPv4 address; the details were emailed to you.",
    ),
    _TicketKind(
        "ONT showing red LOS light",
        "The fiber box in the garage shows a red LOS light and there's no internet.",
        "high", "any",
        "Tried unplugging it for a minute, still red.",
        "LOS means no light reaching your ONT. Checking the splitter in your neighbourhood.",
        "Has any digging or construction happened near your property recently?",
        "A contractor cut the fiber near the curb. We spliced it and the ONT is back online.",
    ),
    _TicketKind(
        "Move service to a new address",
        "We are moving across town at the end of the month and want to keep our service.",
        "normal", "residential",
        "The new address is a rental; the landlord says fiber was installed last year.",
        "Good news: the new address is serviceable. Looking at install dates.",
        "Which date would you like the service moved? We have slots next Tuesday and Thursday.",
        "Service moved to the new address; the old drop has been disconnected.",
    ),
    _TicketKind(
        "Router keeps rebooting",
        "Our router restarts several times a day and the internet drops for a few minutes.",
        "normal", "any",
        "It rebooted twice during a video call today.",
        "The router logs show power-supply warnings. A replacement may be needed.",
        "Is the router plugged into a power strip or directly into the wall?",
        "Replaced the router's power adapter. No reboots in the last 72 hours.",
    ),
    _TicketKind(
        "Business line down, card terminals offline",
        "Our internet is down and the card terminals at the front counter cannot process "
        "payments.",
        "urgent", "business",
        "We are taking cash only right now. Please hurry.",
        "Escalated to the on-call engineer. Your circuit shows down at the distribution switch.",
        "Could someone confirm the lights on the router in your back office?",
        "A failed optic on the distribution switch was replaced. Circuit is up and terminals "
        "are processing again.",
    ),
    _TicketKind(
        "Request for additional static IPs",
        "We are adding a second security camera server and need more static IPs.",
        "low", "business",
        "A /29 would cover us for the next couple of years.",
        "Reserved a /29 block for you. Preparing the routing change.",
        "Can we schedule the routing change after business hours this Thursday?",
        "The /29 is routed to your circuit. Details were emailed to your IT contact.",
    ),
    _TicketKind(
        "High latency on video calls",
        "Video calls freeze and audio cuts out, mostly in the afternoon.",
        "normal", "business",
        "It happened again at 2 pm during a client meeting.",
        "Your uplink is saturated in the afternoon. Traffic graphs attached to the account.",
        "Would you like us to quote the next speed tier, or enable traffic shaping for calls?",
        "Enabled priority queueing for voice and video on your circuit. Calls are clear now.",
    ),
    _TicketKind(
        "Install appointment reschedule",
        "I need to move my installation appointment, something came up on that day.",
        "low", "residential",
        "Any morning next week works for me.",
        "Checking technician availability for next week.",
        "We have Monday 9-12 or Wednesday 9-12. Which do you prefer?",
        "Installation rescheduled and completed; service is active.",
    ),
    _TicketKind(
        "Outage: fiber cut on the downtown feeder",
        "Multiple customers on the downtown feeder report no service. Locate crew dispatched.",
        "urgent", "internal",
        "Found the cut at a road-works site; splice crew on the way.",
        "Splicing in progress; 48 of 96 strands restored.",
        "Waiting on the city to reopen the lane before the final splice.",
        "All strands spliced and tested. Affected customers are back online.",
    ),
    _TicketKind(
        "Sector alignment check on tower",
        "Two wireless customers report weaker signal since last week's wind. Check the sector "
        "alignment.",
        "normal", "internal",
        "Signal on the sector dropped about 6 dB since Tuesday.",
        "Tower crew booked; the sector will be re-aimed on the next dry day.",
        "Waiting on a weather window for the climb.",
        "Sector re-aimed and tightened. Customer signal is back to normal.",
    ),
)
# fmt: on


_AUTOMATIONS = (
    DemoAutomation(
        "Retention call when a customer cancels",
        "customer.status_changed",
        ({"fact": "status.to", "op": "equals", "value": "cancelled"},),
        (
            {
                "type": "open_ticket",
                "subject": "Retention call: {customer.name} cancelled",
                "description": "Account {customer.account_number}. Reason given: {status.reason}",
                "priority": "high",
            },
        ),
    ),
    DemoAutomation(
        "Collections follow-up on suspension",
        "customer.status_changed",
        ({"fact": "status.to", "op": "equals", "value": "suspended"},),
        (
            {"type": "add_tag", "tag": "collections"},
            {
                "type": "open_ticket",
                "subject": "Payment follow-up: {customer.name} ({customer.account_number})",
                "description": "Suspended: {status.reason}",
                "priority": "normal",
            },
        ),
    ),
    DemoAutomation(
        "Welcome call for new business customers",
        "customer.status_changed",
        (
            {"fact": "status.to", "op": "equals", "value": "active"},
            {"fact": "customer.kind", "op": "equals", "value": "business"},
        ),
        (
            {
                "type": "open_ticket",
                "subject": "Welcome call: {customer.name}",
                "description": "Check the install, the router setup and the billing contact.",
                "priority": "low",
            },
        ),
    ),
    DemoAutomation(
        "Business customers get the business SLA",
        "ticket.opened",
        (
            {"fact": "customer.kind", "op": "in", "value": ["business", "reseller"]},
            {"fact": "ticket.priority", "op": "in", "value": ["low", "normal"]},
        ),
        (
            {"type": "set_priority", "priority": "high"},
            {
                "type": "comment",
                "body": "Raised to high: tickets from business customers are answered first.",
            },
        ),
    ),
    DemoAutomation(
        "Acknowledge urgent tickets",
        "ticket.opened",
        ({"fact": "ticket.priority", "op": "equals", "value": "urgent"},),
        (
            {
                "type": "comment",
                "body": "Ticket #{ticket.number} is urgent: the on-call engineer is paged.",
            },
        ),
    ),
)


# --- Scenario profiles --------------------------------------------------------------------------


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


_PROFILES = {
    "small": _Profile(
        customers=50,
        days=91,
        plans=("fiber-100", "gigabit", "rural-wireless-25"),
        business_share=0.1,
        resellers=0,
        custom_packages=0,
        sites=(
            _pop("Springfield POP", "spr", routers=1, firewalls=1, switches=2, olts=1),
            _tower("Hayden Butte Tower", "hbt", access_points=3, switches=0),
            _tower("Jasper Tower", "jsp", access_points=2, switches=0),
        ),
        snmp_v3_roles=frozenset(),
        auth_protocol="SHA",
        privacy_protocol="AES",
        tickets=5,
        automations=(),
    ),
    "medium": _Profile(
        customers=500,
        days=365,
        plans=("fiber-100", "fiber-500", "gigabit", "rural-wireless-25", "business-1g"),
        business_share=0.1,
        resellers=3,
        custom_packages=4,
        sites=(
            _pop("Eugene POP", "eug", routers=2, firewalls=1, switches=3, olts=2),
            _pop("Springfield POP", "spr", routers=1, firewalls=0, switches=2, olts=2),
            _pop("Cottage Grove POP", "cgv", routers=1, firewalls=0, switches=1, olts=1),
            _tower("Spencer Butte Tower", "sbt", access_points=4),
            _tower("Fern Ridge Tower", "frt", access_points=4),
            _tower("Oakridge Tower", "okr", access_points=3, switches=0),
        ),
        snmp_v3_roles=frozenset({"router", "firewall", "olt"}),
        auth_protocol="SHA",
        privacy_protocol="AES",
        tickets=40,
        automations=(),
    ),
    "enterprise": _Profile(
        customers=2400,
        days=730,
        plans=(
            "fiber-100",
            "fiber-500",
            "fiber-500-annual",
            "gigabit",
            "fiber-2g",
            "rural-wireless-25",
            "rural-wireless-50",
            "business-300",
            "business-1g",
            "dsl-20-legacy",
            "wireless-10-legacy",
        ),
        business_share=0.11,
        resellers=4,
        custom_packages=14,
        sites=(
            _pop("Eugene Core POP", "eug", routers=2, firewalls=2, switches=4, olts=3),
            _pop("Springfield POP", "spr", routers=2, firewalls=1, switches=3, olts=3),
            _pop("Florence POP", "flo", routers=2, firewalls=0, switches=2, olts=2),
            _pop("Cottage Grove POP", "cgv", routers=2, firewalls=0, switches=2, olts=2),
            _pop("Junction City POP", "jct", routers=1, firewalls=0, switches=2, olts=1),
            _tower("Spencer Butte Tower", "sbt", access_points=6),
            _tower("Fern Ridge Tower", "frt", access_points=5),
            _tower("Oakridge Tower", "okr", access_points=5),
            _tower("Marcola Tower", "mrc", access_points=4),
            _tower("Lowell Tower", "low", access_points=4),
        ),
        snmp_v3_roles=frozenset({"router", "firewall", "switch", "olt"}),
        auth_protocol="SHA-256",
        privacy_protocol="AES-256",
        tickets=150,
        automations=_AUTOMATIONS[:5],
    ),
}


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
