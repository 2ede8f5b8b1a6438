"""usage: each ISP's daily customer count, its cap and the thresholds announced

Revision ID: 0003_usage
Revises: 0002_accounts
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_usage"
down_revision: str | None = "0002_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "billing"


def upgrade() -> None:
    op.add_column("accounts", sa.Column("customer_cap", sa.Integer()), schema=SCHEMA)
    op.add_column(
        "accounts",
        sa.Column("customers", sa.Integer(), nullable=False, server_default="0"),
        schema=SCHEMA,
    )
    op.alter_column("accounts", "customers", server_default=None, schema=SCHEMA)
    op.add_column("accounts", sa.Column("counted_at", sa.DateTime(timezone=True)), schema=SCHEMA)
    op.add_column(
        "accounts",
        sa.Column("usage_alert", sa.Integer(), nullable=False, server_default="0"),
        schema=SCHEMA,
    )
    op.alter_column("accounts", "usage_alert", server_default=None, schema=SCHEMA)
    op.create_table(
        "usage_days",
        sa.Column("isp_id", sa.Uuid(), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("usage_days", schema=SCHEMA)
    for column in ("usage_alert", "counted_at", "customers", "customer_cap"):
        op.drop_column("accounts", column, schema=SCHEMA)
