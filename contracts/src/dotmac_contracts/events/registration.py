from datetime import datetime
from uuid import UUID

from pydantic import EmailStr, Field

from dotmac_contracts.registry import IspEvent, event_type
from dotmac_contracts.vocabulary import BillingPeriod, Provider, Region, Tier


@event_type("dotmac.registration.isp.registered.v1")
class IspRegistered(IspEvent):
    """An ISP signed up; provisioning is expected to onboard it."""

    isp_id: UUID
    deployment_id: UUID = Field(description="Id the onboarding's status is tracked under")
    slug: str = Field(description="DNS-safe short name; the instance answers on <slug>.<base>")
    company_name: str
    country: str = Field(description="ISO 3166-1 alpha-2")
    region: Region
    tier: Tier
    billing_period: BillingPeriod
    domain: str
    primary_contact_name: str
    primary_contact_email: EmailStr
    expected_customers: int
    provider: Provider = Provider.LOCAL
    payment_method: str | None = Field(
        default=None,
        description="The Stripe PaymentMethod (`pm_...`) collected at sign-up for a paid tier; "
        "null for the free tier, or when the ISP adds one later",
    )
    from_demo: bool = Field(
        default=False,
        description="a converted demo: the ISP's tenant (same id) exists, with the demo's data",
    )
    registered_at: datetime
