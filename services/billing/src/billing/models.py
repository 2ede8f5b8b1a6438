from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.mail import mail_outbox_table
from servicekit.messaging import messaging_tables

SCHEMA = "billing"
metadata = MetaData(schema=SCHEMA)
messaging = messaging_tables(metadata)
mail_outbox = mail_outbox_table(metadata)


class Base(DeclarativeBase):
    metadata = metadata


class AccountStatus(StrEnum):
    REGISTERED = "registered"
    """Signed up; nothing is charged before the ISP's instance is active."""
    INCOMPLETE = "incomplete"
    """Opened; the first payment has not gone through yet."""
    ACTIVE = "active"
    PAST_DUE = "past_due"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


class TierPrice(Base):
    """A tier's list price, as licensing's catalogue last published it."""

    __tablename__ = "tier_prices"

    tier: Mapped[str] = mapped_column(String(16), primary_key=True)
    price_cents: Mapped[int] = mapped_column(Integer)
    """Per month."""
    currency: Mapped[str] = mapped_column(String(3))
    custom_pricing: Mapped[bool] = mapped_column(Boolean)
    customer_cap: Mapped[int | None] = mapped_column(Integer)
    """The most customers the tier allows; None: no cap."""
    catalogue_version: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Account(Base):
    """An ISP's account with the platform: its Stripe customer and subscription, and where its
    payments stand."""

    __tablename__ = "accounts"

    isp_id: Mapped[UUID] = mapped_column(primary_key=True)
    company_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(320))
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str] = mapped_column(String(32))
    tier: Mapped[str] = mapped_column(String(16))
    billing_period: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    payment_method: Mapped[str | None] = mapped_column(String(255))
    """The Stripe PaymentMethod the ISP gave at sign-up, until it is attached to its customer."""
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    """None for the free tier, which pays nothing."""
    customer_cap: Mapped[int | None] = mapped_column(Integer)
    """The most customers its licence allows; None: no cap."""
    customers: Mapped[int] = mapped_column(Integer)
    """Its customer count as tenant-api last reported it."""
    counted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    usage_alert: Mapped[int] = mapped_column(Integer)
    """The highest threshold (80 or 100, percent of the cap) announced since the count was last
    below 80%; 0 if none."""
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When its Stripe customer (and subscription) were made: at activation."""
    status_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    amount_cents: Mapped[int | None] = mapped_column(Integer)
    """What its subscription charges each billing period, as Stripe confirmed it; None without
    a paid subscription."""
    currency: Mapped[str | None] = mapped_column(String(3))
    open_tickets: Mapped[int] = mapped_column(Integer, default=0)
    """Its customers' open support tickets, as tenant-api last reported them."""


class AccountMove(Base):
    """One move of an account (registered → active → past due ...): the history churn, failed
    payments and health scores are read from."""

    __tablename__ = "account_moves"
    __table_args__ = (
        Index("account_moves_by_isp", "isp_id", "at"),
        Index("account_moves_by_status", "status", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    isp_id: Mapped[UUID] = mapped_column()
    previous: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class UsageDay(Base):
    """An ISP's customer count, one row per day: the highest it reached that day."""

    __tablename__ = "usage_days"

    isp_id: Mapped[UUID] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    customers: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StripeEvent(Base):
    """A Stripe webhook event applied: each is applied once, by its id."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
