"""What a document shows, as plain data: the renderer (`documents.pdf`) draws it, the service
fills it from the database. Amounts are integer minor units of `currency`."""

from dataclasses import dataclass, field
from datetime import date

from tenant_api.billing.money import MINOR_UNIT_DIGITS


def money(amount: int, currency: str) -> str:
    """`amount` minor units as a person reads them: 123456 USD is "1,234.56 USD", 1200 JPY is
    "1,200 JPY"."""
    digits = MINOR_UNIT_DIGITS.get(currency, 2)
    sign = "-" if amount < 0 else ""
    major, minor = divmod(abs(amount), 10**digits)
    text = f"{major:,}" + (f".{minor:0{digits}d}" if digits else "")
    return f"{sign}{text} {currency}"


def percent(basis_points: int) -> str:
    whole, part = divmod(basis_points, 100)
    return f"{whole}.{part:02d}%"


@dataclass(frozen=True)
class Brand:
    """Who issues the document, and how it looks. Without white_label only the name, address
    and tax number are the ISP's: the colour, footer and logo are the defaults."""

    name: str
    address: tuple[str, ...] = ()
    tax_number: str | None = None
    accent: tuple[int, int, int] = (31, 78, 121)
    footer: str | None = None
    logo: bytes | None = None


@dataclass(frozen=True)
class Party:
    name: str
    account_number: str
    address: tuple[str, ...] = ()
    email: str | None = None


@dataclass(frozen=True)
class Line:
    description: str
    quantity: int
    unit_amount: int
    discount: int
    tax_basis_points: int
    total: int


@dataclass(frozen=True)
class TaxBand:
    """The tax of the lines taxed at one rate: `base` is their amount without tax."""

    label: str
    base: int
    tax: int


@dataclass(frozen=True)
class InvoiceDocument:
    title: str
    """Invoice or Credit note"""
    number: str | None
    status: str
    currency: str
    issued_on: date | None
    due_on: date | None
    period: tuple[date, date] | None
    """First and last day served."""
    refers_to: str | None
    """A credit note's invoice number."""
    memo: str | None
    lines: tuple[Line, ...]
    subtotal: int
    discount_total: int
    taxes: tuple[TaxBand, ...]
    total: int
    amount_paid: int
    amount_credited: int
    balance_due: int
    terms: str


@dataclass(frozen=True)
class StatementEntry:
    on: date
    kind: str
    reference: str
    description: str
    debit: int
    credit: int
    balance: int


@dataclass(frozen=True)
class StatementDocument:
    currency: str
    date_from: date | None
    date_to: date
    opening_balance: int
    closing_balance: int
    entries: tuple[StatementEntry, ...] = field(default_factory=tuple)
