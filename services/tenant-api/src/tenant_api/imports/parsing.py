"""Reading an ISP's CSV: its dialect, its header, which column is which field, and each row
as the customer it would create."""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, ValidationError

from servicekit.validation import Name, PhoneNumber
from tenant_api.customers.schemas import AccountNumber, Address, CustomerKind, CustomerStatus, Tags

MAX_ROWS = 50_000
ADDRESS_FIELDS = ("line1", "line2", "city", "region", "postal_code", "country")
FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("name", "full name", "customer", "customer name", "subscriber", "company"),
    "email": ("email", "e-mail", "email address", "mail"),
    "phone": ("phone", "telephone", "tel", "mobile", "phone number", "cell"),
    "account_number": ("account number", "account", "account no", "acct", "customer id"),
    "status": ("status", "state of account", "account status"),
    "kind": ("kind", "type", "customer type"),
    "tags": ("tags", "labels", "groups"),
    "line1": ("address", "street", "address line 1", "address1", "street address"),
    "line2": ("address line 2", "address2", "unit", "apt", "suite"),
    "city": ("city", "town"),
    "region": ("state", "region", "province", "county"),
    "postal_code": ("zip", "zip code", "postal code", "postcode", "post code"),
    "country": ("country", "country code"),
    "plan": ("plan", "service plan", "package", "plan name"),
    "plan_start": ("plan start", "start date", "since", "service start", "subscribed on"),
}
"""Each field a column can fill, and the headers that name it (compared without case,
spaces or punctuation)."""


class BadFile(ValueError):
    """The upload is not a CSV this can read; the message says why, for a person."""


@dataclass
class Sheet:
    columns: list[str]
    rows: list[list[str]]


def read_csv(content: bytes) -> tuple[str, Sheet]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadFile("The file is not UTF-8 text: save the spreadsheet as CSV UTF-8.") from None
    if "\x00" in text:
        raise BadFile("The file holds binary data, not CSV text.")
    sample = text[: 64 * 1024]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as error:
        raise BadFile(f"The CSV cannot be read: {error}.") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise BadFile("The file is empty: it needs a header row and at least one customer.")
    columns = [c.strip() for c in rows[0]]
    if len(set(columns)) != len(columns) or not all(columns):
        raise BadFile("Each column needs a header, and no two the same.")
    if len(rows) - 1 > MAX_ROWS:
        raise BadFile(f"At most {MAX_ROWS} customers per file; split it.")
    if len(rows) == 1:
        raise BadFile("The file has a header but no customers.")
    return text, Sheet(columns, rows[1:])


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def guess_mapping(columns: list[str]) -> dict[str, str]:
    """Which column fills which field, judged by the headers."""
    by_key = {_key(c): c for c in columns}
    mapping: dict[str, str] = {}
    for name, headers in FIELDS.items():
        for header in headers:
            if _key(header) in by_key and by_key[_key(header)] not in mapping.values():
                mapping[name] = by_key[_key(header)]
                break
    return mapping


class ImportedCustomer(BaseModel):
    """A row as the customer it creates: the same rules as creating one through the API,
    with every status allowed (an import brings history along)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    email: EmailStr | None = None
    phone: PhoneNumber | None = None
    account_number: AccountNumber | None = None
    status: CustomerStatus = CustomerStatus.ACTIVE
    kind: CustomerKind = CustomerKind.RESIDENTIAL
    tags: Tags = []
    contact_address: Address | None = None
    plan: Name | None = None
    plan_start: date | None = None


@dataclass
class RowError:
    row: int
    field: str
    message: str


@dataclass
class Checked:
    """Each data row (numbered as a spreadsheet shows it: the header is row 1) as a customer,
    or its errors."""

    customers: dict[int, ImportedCustomer] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)


def check_rows(sheet: Sheet, mapping: dict[str, str], *, default_country: str | None) -> Checked:
    index = {f: sheet.columns.index(c) for f, c in mapping.items()}
    checked = Checked()
    for n, cells in enumerate(sheet.rows, start=2):
        values = {f: cells[i].strip() if i < len(cells) else "" for f, i in index.items()}
        row = _as_customer(values, default_country)
        try:
            checked.customers[n] = ImportedCustomer.model_validate(row)
        except ValidationError as invalid:
            for error in invalid.errors():
                where = ".".join(str(p) for p in error["loc"]) or "row"
                checked.errors.append(RowError(n, where, error["msg"]))
    return checked


def _as_customer(values: dict[str, str], default_country: str | None) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name in ("name", "email", "account_number", "plan", "plan_start"):
        if values.get(name):
            row[name] = values[name]
    if values.get("phone"):
        row["phone"] = normalize_phone(values["phone"], values.get("country") or default_country)
    if values.get("status"):
        row["status"] = values["status"].lower()
    if values.get("kind"):
        row["kind"] = values["kind"].lower()
    if values.get("tags"):
        row["tags"] = [t for t in re.split(r"[;|,]", values["tags"]) if t.strip()]
    address = {f: values[f] for f in ADDRESS_FIELDS if values.get(f)}
    if address:
        address.setdefault("country", default_country or "")
        row["contact_address"] = address
    return row


def normalize_phone(raw: str, country: str | None) -> str:
    """A phone number as spreadsheets hold them ("(541) 555-0123", "00 44 20 7946 0018") in
    E.164; what cannot be read is returned as it is, for validation to refuse."""
    digits = re.sub(r"[\s().\-/]", "", raw)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if digits.startswith("+"):
        return digits
    if digits.isdigit():
        if (country or "").upper() in ("US", "CA", "") and len(digits) == 10:
            return "+1" + digits
        if len(digits) == 11 and digits.startswith("1"):
            return "+" + digits
    return raw
