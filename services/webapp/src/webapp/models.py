"""The web app's tables: the sessions of people signed in through it. The cookie carries only a
random id (its hash is the key here), so no token of the platform's APIs ever reaches the
browser, and signing out ends the session for good."""

from datetime import datetime

from sqlalchemy import DateTime, Index, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.messaging import messaging_tables

SCHEMA = "webapp"
metadata = MetaData(schema=SCHEMA)
messaging = messaging_tables(metadata)


class Base(DeclarativeBase):
    metadata = metadata


class WebSession(Base):
    __tablename__ = "sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    """sha256 of the cookie's value"""
    kind: Mapped[str] = mapped_column(String(16))
    """`isp` (a person of an ISP) or `operator`"""
    host: Mapped[str] = mapped_column(String(255))
    """The host it was made on: a session of one ISP's host is worth nothing on another's."""
    person: Mapped[str] = mapped_column(String(320))
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_webapp_sessions_expires", "expires_at"),)
