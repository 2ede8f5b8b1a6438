"""the history of each account's moves, what its subscription charges, and its open tickets

Revision ID: 0005_moves_and_health
Revises: 0004_mail_outbox
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_moves_and_health"
down_revision: str | None = "0004_mail_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "billing"


def upgrade() -> None:
    op.add_column("accounts", sa.Column("amount_cents", sa.Integer()), schema=SCHEMA)
    op.add_column("accounts", sa.Column("currency", sa.String(3)), schema=SCHEMA)
    op.add_column(
        "accounts",
        sa.Column("open_tickets", sa.Integer(), nullable=False, server_default="0"),
        schema=SCHEMA,
    )
    op.alter_column("accounts", "open_tickets", server_default=None, schema=SCHEMA)
    op.add_column("tier_prices", sa.Column("customer_cap", sa.Integer()), schema=SCHEMA)
    op.create_table(
        "account_moves",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("isp_id", sa.Uuid(), nullable=False),
        sa.Column("previous", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("account_moves_by_isp", "account_moves", ["isp_id", "at"], schema=SCHEMA)
    op.create_index("account_moves_by_status", "account_moves", ["status", "at"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("account_moves", schema=SCHEMA)
    op.drop_column("tier_prices", "customer_cap", schema=SCHEMA)
    for column in ("open_tickets", "currency", "amount_cents"):
        op.drop_column("accounts", column, schema=SCHEMA)
