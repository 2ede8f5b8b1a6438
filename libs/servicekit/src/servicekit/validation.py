"""Field types for request schemas that refuse hostile or sloppy input at the edge."""

import re
import unicodedata
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, Field, StringConstraints

T = TypeVar("T")


def _printable(value: str) -> str:
    # `isprintable` (C, one pass) is false for every category refused here and a few more
    # (separators other than the space, unassigned code points): only then is each character
    # looked up, which costs a microsecond or two a character in Python.
    if value.isprintable():
        return value
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in value):
        raise ValueError("must not contain control or invisible formatting characters")
    return value


def _printable_text(value: str) -> str:
    value = value.replace("\r\n", "\n")
    _printable(value.replace("\n", "").replace("\t", ""))
    return value


def _bounded(max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


Name = Annotated[str, _bounded(200), AfterValidator(_printable)]
"""A person's, company's or thing's name: 1-200 printable characters, trimmed."""
Identifier = Annotated[str, _bounded(64), AfterValidator(_printable)]
"""A registration number, tax id or similar code: 1-64 printable characters."""
Description = Annotated[str, _bounded(500), AfterValidator(_printable)]
"""A short free-text description: 1-500 printable characters."""
Label = Annotated[str, _bounded(100), AfterValidator(_printable)]
"""A short label (a city, a vendor, a site): 1-100 printable characters."""
SearchTerm = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_printable),
]
"""What someone types into a search box: 1-100 printable characters."""
Body = Annotated[str, _bounded(5000), AfterValidator(_printable_text)]
"""A note's or comment's text: 1-5000 characters; line breaks and tabs are kept."""


_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _domain(value: str) -> str:
    name = value.strip().lower().removesuffix(".")
    if len(name) > 253:
        raise ValueError("a domain name is at most 253 characters")
    labels = name.split(".")
    if len(labels) < 2:
        raise ValueError("must be a fully qualified domain name such as isp.example")
    if not all(_LABEL.match(label) for label in labels):
        raise ValueError(
            "each label must be 1-63 letters, digits or hyphens, not starting or ending with '-'"
        )
    if not re.fullmatch(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}", labels[-1]):
        raise ValueError("the top-level domain must be alphabetic")
    return name


DomainName = Annotated[str, StringConstraints(max_length=260), AfterValidator(_domain)]


def _country(value: str) -> str:
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise ValueError("must be an ISO 3166-1 alpha-2 country code such as US")
    return code


CountryCode = Annotated[str, StringConstraints(max_length=8), AfterValidator(_country)]

PhoneNumber = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^\+[1-9][0-9]{6,14}$"),
]
"""E.164: a plus sign, country code and number, 7 to 15 digits."""


def _refuse_null(value: object) -> object:
    if value is None:
        raise ValueError("cannot be cleared: leave it out to keep it as it is")
    return value


def _not_nullable(schema: dict[str, Any]) -> None:
    """The field's JSON schema without its `null` branch: `null` is refused."""
    branches = schema.pop("anyOf", None)
    if branches is None:
        return
    kept = [b for b in branches if b.get("type") != "null"]
    schema.update(kept[0] if len(kept) == 1 else {"anyOf": kept})


Kept = Annotated[
    T | None,
    AfterValidator(_refuse_null),
    Field(json_schema_extra=_not_nullable),
]
"""A field of a partial update (PATCH) that may be left out, which keeps it, but not cleared:
`null` is a 422. Declare `name: Kept[Name] = None`; a field that may be cleared is `X | None`."""
