"""accounts, tier prices and applied Stripe events

Revision ID: 0002_accounts
Revises: 4255e1b38349
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_accounts"
down_revision: str | None = "4255e1b38349"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "billing"
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tier_prices",
        sa.Column("tier", sa.String(16), primary_key=True),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("custom_pricing", sa.Boolean(), nullable=False),
        sa.Column("catalogue_version", sa.String(64), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "accounts",
        sa.Column("isp_id", sa.Uuid(), primary_key=True),
        sa.Column("company_name", sa.String(200), nullable=False),
        sa.Column("contact_email", sa.String(320), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("billing_period", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("payment_method", sa.String(255), nullable=True),
        sa.Column("stripe_customer_id", sa.String(255), nullable=True, unique=True),
        sa.Column("stripe_subscription_id", sa.String(255), nullable=True, unique=True),
        sa.Column("registered_at", WHEN, nullable=False),
        sa.Column("opened_at", WHEN, nullable=True),
        sa.Column("status_changed_at", WHEN, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("received_at", WHEN, nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in ("stripe_events", "accounts", "tier_prices"):
        op.drop_table(table, schema=SCHEMA)
