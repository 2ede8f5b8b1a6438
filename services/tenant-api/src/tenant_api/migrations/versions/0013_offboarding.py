"""offboarding: the owner's cancellation on the tenant, and the data exports made for it

Revision ID: 0013_offboarding
Revises: 0012_demo_tenants
Create Date: 2026-11-24 20:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013_offboarding'
down_revision: str | None = '0012_demo_tenants'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('tenants', sa.Column('cancellation_requested_at', sa.DateTime(timezone=True),
                                       comment='the owner cancelled; offboarding runs'),
                  schema='tenant')
    op.create_table(
        'data_exports',
        sa.Column('id', sa.Uuid(), primary_key=True),
        sa.Column('tenant_id', sa.Uuid(), sa.ForeignKey('tenant.tenants.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        schema='tenant',
    )
    op.create_index('ix_tenant_data_exports_tenant_id', 'data_exports', ['tenant_id'],
                    schema='tenant')


def downgrade() -> None:
    op.drop_table('data_exports', schema='tenant')
    op.drop_column('tenants', 'cancellation_requested_at', schema='tenant')
