"""What billing's account routes take and answer."""

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field

from dotmac_contracts.vocabulary import Tier


class AccountRead(BaseModel):
    isp_id: UUID
    company_name: str
    tier: str
    billing_period: str
    status: str
    stripe_customer_id: str | None
    stripe_subscription_id: str | None
    amount_cents: int | None
    currency: str | None
    customers: int
    customer_cap: int | None
    open_tickets: int
    registered_at: datetime
    opened_at: datetime | None
    status_changed_at: datetime


class UsageDayRead(BaseModel):
    day: date
    customers: int


class UsageRead(BaseModel):
    days: list[UsageDayRead]


class InvoiceRead(BaseModel):
    id: str | None
    number: str | None
    status: str | None
    amount_due_cents: int
    amount_paid_cents: int
    currency: str
    created_at: datetime
    hosted_invoice_url: str | None = Field(
        description="Stripe's page for the invoice (pay it, download its PDF); None where the "
        "Stripe in use has none (localstripe)"
    )


class PaymentMethodRead(BaseModel):
    id: str
    type: str | None
    brand: str | None
    last4: str | None


class PlanRead(BaseModel):
    tier: str
    billing_period: str
    amount_cents: int | None = Field(description="Charged each billing period; None on free")
    currency: str | None


class IspBillingRead(BaseModel):
    """An ISP's billing as its owner sees it."""

    isp_id: UUID
    plan: PlanRead
    status: str = Field(
        description="registered, incomplete (no payment yet), active, past_due (a payment "
        "failed: it is retried), suspended (read-only until paid), cancelled"
    )
    status_changed_at: datetime
    payment_method: PaymentMethodRead | None
    customers: int
    customer_cap: int | None
    next_invoice: InvoiceRead | None
    invoices: list[InvoiceRead] = Field(description="Newest first")


class TierChoice(BaseModel):
    tier: Tier


class PaymentMethodChoice(BaseModel):
    payment_method: str = Field(
        pattern=r"^pm_[A-Za-z0-9_]{1,250}$",
        description="A Stripe PaymentMethod id, as Stripe.js returns it (`pm_card_visa` in "
        "test mode)",
        examples=["pm_card_visa"],
    )
