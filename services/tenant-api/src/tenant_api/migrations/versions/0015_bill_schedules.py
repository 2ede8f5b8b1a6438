"""automatic bill runs: each ISP's next period to bill and the day it is due

Revision ID: 0015_bill_schedules
Revises: 0014_subscriber_billing
Create Date: 2026-12-03 18:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenant_api.tenancy.rls import service_role

revision: str = '0015_bill_schedules'
down_revision: str | None = '0014_subscriber_billing'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "dotmac_tenant_api"


def upgrade() -> None:
    op.create_table(
        'bill_schedules',
        sa.Column('tenant_id', sa.Uuid(), sa.ForeignKey('tenant.tenants.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('period', sa.String(7), nullable=False,
                  comment='YYYY-MM: the next period to bill'),
        sa.Column('due_on', sa.Date(), nullable=False,
                  comment="the period's end: billed from then"),
        sa.Column('last_run_at', sa.DateTime(timezone=True)),
        sa.Column('last_error', sa.String(500)),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        schema='tenant',
    )
    op.create_index('ix_bill_schedules_due', 'bill_schedules', ['due_on'], schema='tenant')
    for statement in service_role('tenant', APP_ROLE):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table('bill_schedules', schema='tenant')
