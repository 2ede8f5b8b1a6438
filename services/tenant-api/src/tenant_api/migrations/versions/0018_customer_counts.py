"""customer counts: each ISP's count as its last change left it, announced in batches

Revision ID: 0018_customer_counts
Revises: 0017_invoice_documents
Create Date: 2026-12-04 05:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenant_api.tenancy.rls import service_role

revision: str = '0018_customer_counts'
down_revision: str | None = '0017_invoice_documents'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "dotmac_tenant_api"


def upgrade() -> None:
    op.create_table(
        'customer_counts',
        sa.Column('tenant_id', sa.Uuid(), sa.ForeignKey('tenant.tenants.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('customers', sa.Integer(), nullable=False,
                  comment='not cancelled: what the cap counts'),
        sa.Column('counted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('due', sa.Boolean(), nullable=False, comment='changed since last announced'),
        schema='tenant',
    )
    op.create_index('ix_customer_counts_due', 'customer_counts', ['counted_at'], schema='tenant',
                    postgresql_where=sa.text('due'))
    # The counts every ISP has now, as already announced one by one until this revision.
    silos = op.get_bind().execute(
        sa.text("SELECT data_schema FROM tenant.tenants WHERE data_schema IS NOT NULL")
    )
    for schema in ["tenant_data", *(row[0] for row in silos)]:
        op.execute(
            "INSERT INTO tenant.customer_counts (tenant_id, customers, counted_at, due) "
            "SELECT tenant_id, count(*) FILTER (WHERE status <> 'cancelled'), now(), false "
            f'FROM "{schema}".customers GROUP BY tenant_id ON CONFLICT DO NOTHING'
        )
    for statement in service_role('tenant', APP_ROLE):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table('customer_counts', schema='tenant')
