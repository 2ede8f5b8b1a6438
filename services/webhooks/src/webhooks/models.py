"""Webhooks' tables: endpoints (who wants which events, where), messages (the public events,
kept for replay and for event streams), deliveries (one message to one endpoint, with its
schedule) and attempts (the delivery log)."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import (
    ARRAY,
    BigInteger,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.mail import mail_outbox_table
from servicekit.messaging import messaging_tables

SCHEMA = "webhooks"
metadata = MetaData(schema=SCHEMA)
messaging = messaging_tables(metadata)
mail_outbox = mail_outbox_table(metadata)


class Base(DeclarativeBase):
    metadata = metadata


class Endpoint(Base):
    """A URL that gets an owner's events: an ISP's (`tenant_id`) or the operator's (None)."""

    __tablename__ = "endpoints"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID | None] = mapped_column()
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(String(500), server_default="")
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(100)), server_default="{}")
    """The public types it gets; empty: every type of its audience."""
    sealed_secret: Mapped[str] = mapped_column(Text)
    """`whsec_...`, sealed with the platform's keys: needed in the clear to sign."""
    sealed_previous_secret: Mapped[str | None] = mapped_column(Text)
    previous_secret_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rate_limit_per_s: Mapped[int | None] = mapped_column(Integer)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """Since when every attempt has failed (None once one succeeds)."""
    created_by: Mapped[str] = mapped_column(String(100))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        Index("ix_endpoints_owner", "tenant_id"),
        Index(
            "uq_endpoints_idempotency_key",
            "tenant_id",
            "idempotency_key",
            unique=True,
            postgresql_nulls_not_distinct=True,
            postgresql_where="idempotency_key IS NOT NULL",
        ),
    )


class Message(Base):
    """A public event: the body every endpoint gets, byte for byte, under `id` (`webhook-id`).
    `seq` orders an owner's messages for event streams (`Last-Event-ID`)."""

    __tablename__ = "messages"

    seq: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    tenant_id: Mapped[UUID | None] = mapped_column()
    type: Mapped[str] = mapped_column(String(100))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        Index("ix_messages_owner_seq", "tenant_id", "seq"),
        Index("ix_messages_created_at", "created_at"),
    )


class Delivery(Base):
    """One message to one endpoint: pending until an attempt succeeds or the schedule runs out.
    A worker that takes one moves `next_attempt_at` a lease ahead, so a worker that dies leaves
    it due again rather than lost."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    endpoint_id: Mapped[UUID] = mapped_column(ForeignKey("endpoints.id", ondelete="CASCADE"))
    message_seq: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("messages.seq", ondelete="CASCADE")
    )
    state: Mapped[str] = mapped_column(String(16), server_default="pending")
    """pending, delivered, failed (the schedule ran out)."""
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    step: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    """Where in the retry schedule it is (a replay starts it again)."""
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    last_status: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("endpoint_id", "message_seq", name="uq_deliveries_endpoint_message"),
        Index("ix_deliveries_due", "next_attempt_at", postgresql_where="state = 'pending'"),
        Index(
            "ix_deliveries_endpoint_due",
            "endpoint_id",
            "next_attempt_at",
            postgresql_where="state = 'pending'",
        ),
        Index("ix_deliveries_message", "message_seq"),
    )


class Attempt(Base):
    """One try at a delivery: the delivery log an owner reads."""

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("deliveries.id", ondelete="CASCADE")
    )
    endpoint_id: Mapped[UUID] = mapped_column()
    message_seq: Mapped[int] = mapped_column(BigInteger)
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(16))
    """succeeded, failed (an answer that is not 2xx), timeout, unreachable, refused (SSRF)."""
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer)
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_attempts_endpoint", "endpoint_id", "id"),
        Index("ix_attempts_delivery", "delivery_id"),
    )


class IspContact(Base):
    """Who to tell when an ISP's endpoint is disabled: its primary contact, from its sign-up."""

    __tablename__ = "isp_contacts"

    isp_id: Mapped[UUID] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    company_name: Mapped[str] = mapped_column(String(200))
