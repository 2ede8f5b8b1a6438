"""Network's tables: the devices it polls (its copy of tenant-api's inventory, from its events)."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, Float, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.messaging import messaging_tables

SCHEMA = "network"
metadata = MetaData(schema=SCHEMA)
messaging = messaging_tables(metadata)


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
    sealed_secrets: Mapped[str] = mapped_column(Text)
    """The community or v3 keys, sealed by tenant-api with the platform's keys."""
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


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
