"""customer counts

Revision ID: 0004_customer_counts
Revises: 0003_published_catalogs
Create Date: 2026-11-24 14:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004_customer_counts'
down_revision: str | None = '0003_published_catalogs'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('customer_counts',
    sa.Column('isp_id', sa.Uuid(), nullable=False),
    sa.Column('customers', sa.Integer(), nullable=False),
    sa.Column('counted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('isp_id'),
    schema='licensing'
    )


def downgrade() -> None:
    op.drop_table('customer_counts', schema='licensing')
