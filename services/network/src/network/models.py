"""Network's tables: the devices it polls (its copy of tenant-api's inventory, from its events),
each ISP's monitoring settings and licence, interface rollups, and alerts."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import Boolean, DateTime, Float, Index, Integer, MetaData, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.mail import mail_outbox_table
from servicekit.messaging import messaging_tables

SCHEMA = "network"
metadata = MetaData(schema=SCHEMA)
messaging = messaging_tables(metadata)
mail_outbox = mail_outbox_table(metadata)


class Base(DeclarativeBase):
    metadata = metadata


class Device(Base):
    """A device an ISP recorded, as its latest event described it."""

    __tablename__ = "devices"

    device_id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(200))
    management_ip: Mapped[str] = mapped_column(String(64))
    snmp_version: Mapped[str] = mapped_column(String(8))
    snmp_port: Mapped[int] = mapped_column(Integer)
    snmp_username: Mapped[str | None] = mapped_column(String(64))
    snmp_auth_protocol: Mapped[str | None] = mapped_column(String(16))
    snmp_privacy_protocol: Mapped[str | None] = mapped_column(String(16))
    sealed_secrets: Mapped[str] = mapped_column(Text)
    """The community or v3 keys, sealed by tenant-api with the platform's keys."""
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    poll_interval_s: Mapped[int | None] = mapped_column(Integer)
    """This device's own interval (10 s and up); None: its ISP's."""


class Tenant(Base):
    """An ISP as network sees it: who to tell of alerts, what its licence allows, and how its
    devices are watched."""

    __tablename__ = "tenants"

    tenant_id: Mapped[UUID] = mapped_column(primary_key=True)
    contact_email: Mapped[str | None] = mapped_column(String(320))
    """The primary contact from its sign-up."""
    plugins: Mapped[list[str] | None] = mapped_column(ARRAY(String(64)))
    """Its licence's plugins; None until a licence event arrived."""
    licensed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When the licence `plugins` come from was issued (an older event changes nothing)."""
    poll_interval_s: Mapped[int | None] = mapped_column(Integer)
    """How often its devices are read; None: the service's default (60 s)."""
    unreachable_polls: Mapped[int] = mapped_column(Integer, default=3)
    utilisation_pct: Mapped[int] = mapped_column(Integer, default=90)
    utilisation_minutes: Mapped[int] = mapped_column(Integer, default=5)
    alert_emails: Mapped[bool] = mapped_column(Boolean, default=True)
    alert_email_to: Mapped[str | None] = mapped_column(String(320))
    """Where alert mail goes; None: the primary contact."""


class Alert(Base):
    """A condition on a device or interface, from raised to cleared. At most one is open per
    device, interface and kind (a partial unique index): a condition that comes back before
    its alert cleared counts an occurrence on it instead of raising another."""

    __tablename__ = "alerts"

    alert_id: Mapped[UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column()
    device_id: Mapped[UUID] = mapped_column()
    device_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    if_index: Mapped[int] = mapped_column(Integer, default=0)
    """0: the device itself (ifIndex starts at 1)"""
    interface_name: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    clearing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """Since when the condition has been away; the alert clears after the hold-down."""
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        Index(
            "uq_network_alerts_open",
            "device_id",
            "if_index",
            "kind",
            unique=True,
            postgresql_where=cleared_at.is_(None),
        ),
        Index("ix_network_alerts_tenant", "tenant_id", "raised_at"),
    )


class InterfaceRollup(Base):
    """An interface's rates over one bucket (5 minutes or an hour): the history API reads these
    (the live readings themselves go out on NATS and are not kept)."""

    __tablename__ = "interface_rollups"

    device_id: Mapped[UUID] = mapped_column(primary_key=True)
    if_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    resolution_s: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    tenant_id: Mapped[UUID] = mapped_column()
    name: Mapped[str] = mapped_column(String(200))
    samples: Mapped[int] = mapped_column(Integer)
    in_bps_sum: Mapped[float] = mapped_column(Float)
    in_bps_max: Mapped[float] = mapped_column(Float)
    out_bps_sum: Mapped[float] = mapped_column(Float)
    out_bps_max: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_network_interface_rollups_start", "resolution_s", "bucket_start"),)
