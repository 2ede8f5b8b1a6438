"""webapp: messaging tables and sessions

Revision ID: 0001_webapp
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from servicekit.migrations import create_messaging_tables_v1, drop_messaging_tables_v1

revision: str = "0001_webapp"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "webapp"


def upgrade() -> None:
    create_messaging_tables_v1(S)
    op.create_table(
        "sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("person", sa.String(320), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("refresh_token", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        schema=S,
    )
    op.create_index("ix_webapp_sessions_expires", "sessions", ["expires_at"], schema=S)


def downgrade() -> None:
    op.drop_table("sessions", schema=S)
    drop_messaging_tables_v1(S)
