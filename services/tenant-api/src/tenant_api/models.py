from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.messaging import messaging_tables

SCHEMA = "tenant"
metadata = MetaData(schema=SCHEMA)
messaging = messaging_tables(metadata)


class Base(DeclarativeBase):
    metadata = metadata


class Tenant(Base):
    """One ISP in the ISP framework. Its id is the ISP's id across the platform."""

    __tablename__ = "tenants"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(16))
    host: Mapped[str] = mapped_column(String(253), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
