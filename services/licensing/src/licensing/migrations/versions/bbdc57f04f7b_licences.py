"""licences

Revision ID: bbdc57f04f7b
Revises: f0c2ec89e3cb
Create Date: 2026-11-24 13:47:04.921988
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = 'bbdc57f04f7b'
down_revision: str | None = 'f0c2ec89e3cb'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('licences',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('isp_id', sa.Uuid(), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('plugins', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('customer_cap', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('token', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('isp_id'),
    schema='licensing'
    )


def downgrade() -> None:
    op.drop_table('licences', schema='licensing')
