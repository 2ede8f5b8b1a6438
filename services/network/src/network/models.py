"""Network's tables: the devices it polls (its copy of tenant-api's inventory, from its events)."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, Integer, MetaData, String, Text
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
