from datetime import datetime
from enum import StrEnum
from uuid import UUID

from sqlalchemy import DateTime, Integer, MetaData, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.messaging import messaging_tables

SCHEMA = "licensing"
metadata = MetaData(schema=SCHEMA)
messaging = messaging_tables(metadata)


class Base(DeclarativeBase):
    metadata = metadata


class LicenceStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    """Until reinstated: unpaid, or stopped by an operator."""
    REVOKED = "revoked"
    """For good: only a new licence brings the ISP back."""


class Licence(Base):
    """The licence an ISP holds now. Its token is what the ISP's instance checks offline."""

    __tablename__ = "licences"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    isp_id: Mapped[UUID] = mapped_column(unique=True)
    tier: Mapped[str] = mapped_column(String(16))
    plugins: Mapped[list[str]] = mapped_column(JSONB)
    customer_cap: Mapped[int | None] = mapped_column(Integer)
    api_rate_per_minute: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(String(500))
    """Why the licence is suspended or revoked; null while active."""
    status_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When it was last suspended, reinstated or revoked; null if never."""
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    token: Mapped[str] = mapped_column(Text)


class PublishedCatalog(Base):
    """Catalogue versions already announced, so a restart does not announce them again."""

    __tablename__ = "published_catalogs"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CustomerCount(Base):
    """Each ISP's customer count as tenant-api last reported it (tier downgrades check it)."""

    __tablename__ = "customer_counts"

    isp_id: Mapped[UUID] = mapped_column(primary_key=True)
    customers: Mapped[int] = mapped_column(Integer)
    counted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
