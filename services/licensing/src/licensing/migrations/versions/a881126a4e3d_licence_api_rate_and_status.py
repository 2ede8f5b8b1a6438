"""licence api rate and status

Revision ID: a881126a4e3d
Revises: 0004_customer_counts
Create Date: 2026-11-24 14:39:49.113696
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'a881126a4e3d'
down_revision: str | None = '0004_customer_counts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Licences issued before this revision keep a null rate: their tokens and events carried
    # none. A tier change re-issues the licence with its rate.
    op.add_column('licences', sa.Column('api_rate_per_minute', sa.Integer(), nullable=True),
                  schema='licensing')
    op.add_column('licences', sa.Column('status_reason', sa.String(length=500), nullable=True),
                  schema='licensing')
    op.add_column('licences',
                  sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True),
                  schema='licensing')


def downgrade() -> None:
    op.drop_column('licences', 'status_changed_at', schema='licensing')
    op.drop_column('licences', 'status_reason', schema='licensing')
    op.drop_column('licences', 'api_rate_per_minute', schema='licensing')
