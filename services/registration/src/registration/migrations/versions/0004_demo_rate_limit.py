"""demos remember the address that asked for them, so one address can ask for only so many

Revision ID: 0004_demo_rate_limit
Revises: 0003_release_deleted_isps
Create Date: 2026-11-24 20:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004_demo_rate_limit'
down_revision: str | None = '0003_release_deleted_isps'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('demos', sa.Column('requested_from', sa.String(45),
                                     comment="the requester's address, for the per-address limit"),
                  schema='registration')
    op.create_index('ix_demos_requested_from', 'demos', ['requested_from', 'created_at'],
                    schema='registration')


def downgrade() -> None:
    op.drop_index('ix_demos_requested_from', table_name='demos', schema='registration')
    op.drop_column('demos', 'requested_from', schema='registration')
