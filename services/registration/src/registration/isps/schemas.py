from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationInfo, field_validator

from dotmac_contracts.vocabulary import EU_REGIONS, BillingPeriod, DeploymentState, Region, Tier
from servicekit.validation import (
    CountryCode,
    Description,
    DomainName,
    Identifier,
    Name,
    PhoneNumber,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Company(_Strict):
    name: Name = Field(examples=["Acme Fiber"])
    registration_number: Identifier = Field(examples=["12345"])
    tax_id: Identifier = Field(examples=["US-99"])
    country: CountryCode = Field(description="ISO 3166-1 alpha-2", examples=["US"])


class Contact(_Strict):
    name: Name
    email: EmailStr
    phone: PhoneNumber | None = Field(default=None, description="E.164, e.g. +15550100")


class Contacts(_Strict):
    primary: Contact = Field(description="Receives the welcome email and the owner account")
    technical: Contact | None = None
    billing: Contact | None = None


class IspRegistration(_Strict):
    """An ISP's sign-up. Unknown fields are refused so that typos do not pass silently."""

    company: Company
    contacts: Contacts
    service_area: Description = Field(examples=["Springfield county"])
    expected_customers: int = Field(ge=0, le=10_000_000, examples=[800])
    data_residency: Literal["eu"] | None = Field(
        default=None, description="eu: the ISP's data must stay in the EU (an EU region)"
    )
    region: Region
    tier: Tier
    billing_period: BillingPeriod = BillingPeriod.MONTHLY
    domain: DomainName = Field(examples=["acme.example"])
    payment_method: str | None = Field(
        default=None,
        pattern=r"^pm_[A-Za-z0-9_]{1,200}$",
        description="A Stripe PaymentMethod id (`pm_...`) from the payment step; in "
        "development, a Stripe test id such as `pm_card_visa`. Without one a paid tier's "
        "subscription starts once the ISP adds a payment method.",
        examples=["pm_card_visa"],
    )

    @field_validator("region")
    @classmethod
    def _resident(cls, region: Region, info: ValidationInfo) -> Region:
        if info.data.get("data_residency") == "eu" and region not in EU_REGIONS:
            places = ", ".join(sorted(r.value for r in EU_REGIONS))
            raise ValueError(
                f"data that must stay in the EU cannot be placed in {region.value}: choose {places}"
            )
        return region


class RegistrationAccepted(BaseModel):
    isp_id: UUID
    deployment_id: UUID
    slug: str
    state: DeploymentState
    status_url: str = Field(description="Poll this for the onboarding's progress")
