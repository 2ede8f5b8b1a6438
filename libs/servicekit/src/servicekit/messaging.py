"""The outbox and inbox tables, defined once and placed in each service's own schema."""

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB


@dataclass(frozen=True)
class MessagingTables:
    outbox: Table
    inbox: Table

    @property
    def notify_channel(self) -> str:
        """The LISTEN/NOTIFY channel that wakes this schema's relay when events are written."""
        return f"outbox_{self.outbox.schema or 'public'}"


def messaging_tables(metadata: MetaData) -> MessagingTables:
    """Add `outbox` and `inbox` to a service's metadata (and so to its schema and migrations)."""
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("subject", String(200), nullable=False),
        Column("source", String(100), nullable=False),
        Column("ce_subject", String(200), nullable=False),
        Column("occurred_at", DateTime(timezone=True), nullable=False),
        Column("data", LargeBinary, nullable=False),
        Column("trace_headers", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        Column("attempts", BigInteger, nullable=False, server_default="0"),
        Column("last_error", Text),
    )
    Index(
        "ix_outbox_unpublished",
        outbox.c.id,
        postgresql_where=outbox.c.published_at.is_(None),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", String(100), nullable=False),
        Column("event_id", Uuid, nullable=False),
        Column("subject", String(200), nullable=False),
        Column("handled_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("consumer", "event_id"),
    )
    return MessagingTables(outbox=outbox, inbox=inbox)
