"""demo tenants: flagged, with their last sign-in, so the demo lifecycle can extend and remove
them and a conversion can hand one over to the paid ISP

Revision ID: 0012_demo_tenants
Revises: 0011_automation_rules
Create Date: 2026-11-24 19:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012_demo_tenants'
down_revision: str | None = '0011_automation_rules'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('tenants', sa.Column('demo', sa.Boolean(), server_default='false',
                                       nullable=False,
                                       comment="a prospect's demo, removed by its lifecycle"),
                  schema='tenant')
    op.add_column('tenants', sa.Column('last_used_at', sa.DateTime(timezone=True),
                                       comment="a demo's last sign-in, to the hour"),
                  schema='tenant')


def downgrade() -> None:
    op.drop_column('tenants', 'last_used_at', schema='tenant')
    op.drop_column('tenants', 'demo', schema='tenant')
