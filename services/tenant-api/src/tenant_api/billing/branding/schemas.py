from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from servicekit.validation import Name

AccentColour = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^#[0-9a-fA-F]{6}$"),
    Field(description="#rrggbb"),
]
Footer = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
TaxNumber = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]


def _address_lines(value: str) -> str:
    lines = [line.strip() for line in value.replace("\r\n", "\n").split("\n")]
    lines = [line for line in lines if line]
    if len(lines) > 6:
        raise ValueError("at most 6 lines")
    if any(not line.isprintable() for line in lines):
        raise ValueError("must not contain control or invisible formatting characters")
    return "\n".join(lines)


Address = Annotated[
    str,
    StringConstraints(min_length=1, max_length=500),
    AfterValidator(_address_lines),
    Field(description="up to 6 lines, separated by newlines"),
]


class IssuerUpdate(BaseModel):
    """Every field: the details as they will be (null: none; the legal name defaults to the
    ISP's name)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "legal_name": "Acme Fiber LLC",
                    "address": "1208 Maple Street\nSpringfield, OR 97477",
                    "tax_number": "US-12-3456789",
                }
            ]
        },
    )

    legal_name: Name | None = None
    address: Address | None = None
    tax_number: TaxNumber | None = None


class BrandingUpdate(BaseModel):
    """Every field: the branding as it will be (null: the default)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "display_name": "Acme Fiber",
                    "accent_colour": "#0a7d4f",
                    "footer": "Questions? Call 555-0100 or write to billing@acme.example",
                }
            ]
        },
    )

    display_name: Name | None = None
    accent_colour: AccentColour | None = None
    footer: Footer | None = None


class BrandingRead(BaseModel):
    legal_name: str | None
    address: str | None
    tax_number: str | None
    display_name: str | None
    accent_colour: str | None
    footer: str | None
    logo_media_type: str | None = Field(description="null: no logo")
    white_label: bool = Field(
        description="the ISP's tier has white_label: its display name, colour, footer and "
        "logo are on its documents"
    )
