from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import DateTime, ForeignKey, Index, Integer, MetaData, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.messaging import messaging_tables

SCHEMA = "registration"
metadata = MetaData(schema=SCHEMA)
messaging = messaging_tables(metadata)


class Base(DeclarativeBase):
    metadata = metadata


LIVE = text("deleted_at IS NULL")


class Isp(Base):
    """An ISP signed up. Its names (slug, company, registration, domain) are its own while it
    lives; once it has been offboarded they are free for whoever comes next."""

    __tablename__ = "isps"
    __table_args__ = (
        Index("uq_isps_live_slug", "slug", unique=True, postgresql_where=LIVE),
        Index("uq_isps_live_company_key", "company_key", unique=True, postgresql_where=LIVE),
        Index(
            "uq_isps_live_company_registration",
            "country",
            "registration_number",
            unique=True,
            postgresql_where=LIVE,
        ),
        Index("uq_isps_live_domain", "domain", unique=True, postgresql_where=LIVE),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63))
    company_name: Mapped[str] = mapped_column(String(200))
    company_key: Mapped[str] = mapped_column(
        String(200), comment="casefolded, space-collapsed name: one ISP per name"
    )
    registration_number: Mapped[str] = mapped_column(String(64))
    tax_id: Mapped[str] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(2))
    contacts: Mapped[dict[str, Any]] = mapped_column(JSONB)
    service_area: Mapped[str] = mapped_column(String(500))
    expected_customers: Mapped[int] = mapped_column(Integer)
    region: Mapped[str] = mapped_column(String(32))
    tier: Mapped[str] = mapped_column(String(16))
    billing_period: Mapped[str] = mapped_column(String(16))
    domain: Mapped[str] = mapped_column(String(253))
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), comment="offboarded: everything it had is gone"
    )


class IdempotentResponse(Base):
    """The first answer to a request sent with an `Idempotency-Key`, replayed for repeats."""

    __tablename__ = "idempotent_responses"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Deployment(Base):
    """Read model of an ISP's onboarding, kept current from provisioning's events."""

    __tablename__ = "deployments"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    isp_id: Mapped[UUID] = mapped_column(ForeignKey("isps.id"), unique=True)
    state: Mapped[str] = mapped_column(String(32))
    provider: Mapped[str | None] = mapped_column(String(32))
    workflow_id: Mapped[str | None] = mapped_column(String(100))
    instance_url: Mapped[str | None] = mapped_column(String(300))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DeploymentStep(Base):
    __tablename__ = "deployment_steps"

    deployment_id: Mapped[UUID] = mapped_column(ForeignKey("deployments.id"), primary_key=True)
    step: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    detail: Mapped[str] = mapped_column(Text, default="")


class Demo(Base):
    """A prospect's demo: the request, and its life as provisioning reports it."""

    __tablename__ = "demos"
    __table_args__ = (Index("ix_demos_requested_from", "requested_from", "created_at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, comment="its tenant's id too")
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    company_name: Mapped[str] = mapped_column(String(200))
    prospect_name: Mapped[str] = mapped_column(String(200))
    prospect_email: Mapped[str] = mapped_column(String(320), index=True)
    scenario: Mapped[str] = mapped_column(String(16))
    tier: Mapped[str] = mapped_column(String(16))
    requested_from: Mapped[str | None] = mapped_column(
        String(45), comment="the requester's address, for the per-address limit"
    )
    state: Mapped[str] = mapped_column(
        String(16), comment="requested, active, expiring, removed, converted"
    )
    url: Mapped[str | None] = mapped_column(String(300))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    removal_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
