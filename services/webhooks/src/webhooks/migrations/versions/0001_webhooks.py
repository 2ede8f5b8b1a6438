"""webhooks: endpoints, messages, deliveries, attempts, ISP contacts; outbox, inbox and mail

Revision ID: 0001_webhooks
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from servicekit.migrations import create_mail_outbox_v1, create_messaging_tables_v1

revision: str = "0001_webhooks"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "webhooks"


def upgrade() -> None:
    create_messaging_tables_v1(S)
    create_mail_outbox_v1(S)
    op.create_table(
        "endpoints",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("description", sa.String(500), nullable=False, server_default=""),
        sa.Column("event_types", postgresql.ARRAY(sa.String(100)), nullable=False, server_default="{}"),
        sa.Column("sealed_secret", sa.Text(), nullable=False),
        sa.Column("sealed_previous_secret", sa.Text(), nullable=True),
        sa.Column("previous_secret_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rate_limit_per_s", sa.Integer(), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=S,
    )
    op.create_index("ix_endpoints_owner", "endpoints", ["tenant_id"], schema=S)
    op.create_index(
        "uq_endpoints_idempotency_key",
        "endpoints",
        ["tenant_id", "idempotency_key"],
        unique=True,
        schema=S,
        postgresql_nulls_not_distinct=True,
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )
    op.create_table(
        "messages",
        sa.Column("seq", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("id", sa.String(40), nullable=False, unique=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=S,
    )
    op.create_index("ix_messages_owner_seq", "messages", ["tenant_id", "seq"], schema=S)
    op.create_index("ix_messages_created_at", "messages", ["created_at"], schema=S)
    op.create_table(
        "deliveries",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column(
            "endpoint_id",
            sa.Uuid(),
            sa.ForeignKey(f"{S}.endpoints.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "message_seq",
            sa.BigInteger(),
            sa.ForeignKey(f"{S}.messages.seq", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("state", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("step", sa.SmallInteger(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("endpoint_id", "message_seq", name="uq_deliveries_endpoint_message"),
        schema=S,
    )
    op.create_index(
        "ix_deliveries_due",
        "deliveries",
        ["next_attempt_at"],
        schema=S,
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_index(
        "ix_deliveries_endpoint_due",
        "deliveries",
        ["endpoint_id", "next_attempt_at"],
        schema=S,
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_index("ix_deliveries_message", "deliveries", ["message_seq"], schema=S)
    op.create_table(
        "attempts",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column(
            "delivery_id",
            sa.BigInteger(),
            sa.ForeignKey(f"{S}.deliveries.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("endpoint_id", sa.Uuid(), nullable=False),
        sa.Column("message_seq", sa.BigInteger(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("response_excerpt", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        schema=S,
    )
    op.create_index("ix_attempts_endpoint", "attempts", ["endpoint_id", "id"], schema=S)
    op.create_index("ix_attempts_delivery", "attempts", ["delivery_id"], schema=S)
    op.create_table(
        "isp_contacts",
        sa.Column("isp_id", sa.Uuid(), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("company_name", sa.String(200), nullable=False),
        schema=S,
    )


def downgrade() -> None:
    for table in ("attempts", "deliveries", "messages", "endpoints", "isp_contacts"):
        op.drop_table(table, schema=S)
    from servicekit.migrations import drop_mail_outbox_v1, drop_messaging_tables_v1

    drop_mail_outbox_v1(S)
    drop_messaging_tables_v1(S)
