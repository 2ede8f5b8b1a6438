"""demos: a prospect's request and its life as provisioning reports it

Revision ID: 0002_demos
Revises: d81b1c6d2df2
Create Date: 2026-11-24 19:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002_demos'
down_revision: str | None = 'd81b1c6d2df2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'demos',
        sa.Column('id', sa.Uuid(), primary_key=True, comment="its tenant's id too"),
        sa.Column('slug', sa.String(63), nullable=False, unique=True),
        sa.Column('company_name', sa.String(200), nullable=False),
        sa.Column('prospect_name', sa.String(200), nullable=False),
        sa.Column('prospect_email', sa.String(320), nullable=False),
        sa.Column('scenario', sa.String(16), nullable=False),
        sa.Column('tier', sa.String(16), nullable=False),
        sa.Column('state', sa.String(16), nullable=False,
                  comment='requested, active, expiring, removed, converted'),
        sa.Column('url', sa.String(300)),
        sa.Column('expires_at', sa.DateTime(timezone=True)),
        sa.Column('removal_at', sa.DateTime(timezone=True)),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        schema='registration',
    )
    op.create_index('ix_registration_demos_prospect_email', 'demos', ['prospect_email'],
                    schema='registration')


def downgrade() -> None:
    op.drop_table('demos', schema='registration')
