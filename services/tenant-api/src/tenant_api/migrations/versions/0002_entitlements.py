"""entitlements and the plugin catalogue

Revision ID: 0002_entitlements
Revises: 8b9a3cf06577
Create Date: 2026-11-24 14:05:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0002_entitlements'
down_revision: str | None = '8b9a3cf06577'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('entitlements',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('licence_id', sa.Uuid(), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('plugins', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('customer_cap', sa.Integer(), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id'),
    schema='tenant'
    )
    op.create_table('plugin_catalog',
    sa.Column('id', sa.SmallInteger(), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('tiers', postgresql.JSONB(astext_type=sa.Text()), nullable=False,
              comment='tier names, lowest first'),
    sa.Column('plugins', postgresql.JSONB(astext_type=sa.Text()), nullable=False,
              comment='plugin -> lowest tier'),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    schema='tenant'
    )


def downgrade() -> None:
    op.drop_table('plugin_catalog', schema='tenant')
    op.drop_table('entitlements', schema='tenant')
