"""network: SNMPv3 users, ISPs' monitoring settings and licences, per-device intervals, alerts,
and a mail outbox for alert mail

Revision ID: 0004_alerts
Revises: 0003_rollups
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from servicekit.migrations import create_mail_outbox_v1

revision: str = "0004_alerts"
down_revision: str | None = "0003_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "network"


def upgrade() -> None:
    create_mail_outbox_v1(S)
    op.add_column("devices", sa.Column("snmp_username", sa.String(64)), schema=S)
    op.add_column("devices", sa.Column("snmp_auth_protocol", sa.String(16)), schema=S)
    op.add_column("devices", sa.Column("snmp_privacy_protocol", sa.String(16)), schema=S)
    op.add_column("devices", sa.Column("poll_interval_s", sa.Integer()), schema=S)
    op.create_table(
        "tenants",
        sa.Column("tenant_id", sa.Uuid(), primary_key=True),
        sa.Column("contact_email", sa.String(320)),
        sa.Column("plugins", postgresql.ARRAY(sa.String(64))),
        sa.Column("licensed_at", sa.DateTime(timezone=True)),
        sa.Column("poll_interval_s", sa.Integer()),
        sa.Column("unreachable_polls", sa.Integer(), nullable=False, server_default="3"),
        sa.Column("utilisation_pct", sa.Integer(), nullable=False, server_default="90"),
        sa.Column("utilisation_minutes", sa.Integer(), nullable=False, server_default="5"),
        sa.Column("alert_emails", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("alert_email_to", sa.String(320)),
        schema=S,
    )
    op.create_table(
        "alerts",
        sa.Column("alert_id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("device_name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("if_index", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("interface_name", sa.String(200)),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("clearing_since", sa.DateTime(timezone=True)),
        sa.Column("cleared_at", sa.DateTime(timezone=True)),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
        sa.Column("acknowledged_by", sa.String(200)),
        schema=S,
    )
    op.create_index(
        "uq_network_alerts_open",
        "alerts",
        ["device_id", "if_index", "kind"],
        unique=True,
        postgresql_where=sa.text("cleared_at IS NULL"),
        schema=S,
    )
    op.create_index(
        "ix_network_alerts_tenant", "alerts", ["tenant_id", "raised_at"], schema=S
    )


def downgrade() -> None:
    op.drop_table("alerts", schema=S)
    op.drop_table("tenants", schema=S)
    for column in ("poll_interval_s", "snmp_privacy_protocol", "snmp_auth_protocol", "snmp_username"):
        op.drop_column("devices", column, schema=S)
    op.drop_table("mail_outbox", schema=S)
