"""API keys, customers (under row-level security), licence status and API rate on entitlements,
and access-token revocations

Revision ID: 0005_keys_customers_suspension
Revises: 0004_owner_welcome
Create Date: 2026-11-24 15:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenant_api.tenancy.rls import isolate_tenant_table

revision: str = '0005_keys_customers_suspension'
down_revision: str | None = '0004_owner_welcome'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('entitlements', sa.Column('api_rate_per_minute', sa.Integer(), nullable=True),
                  schema='tenant')
    op.add_column('entitlements', sa.Column('status', sa.String(length=16), nullable=False,
                                            server_default='active',
                                            comment='active, suspended or revoked'),
                  schema='tenant')
    op.alter_column('entitlements', 'status', server_default=None, schema='tenant')
    op.add_column('entitlements', sa.Column('status_reason', sa.String(length=500), nullable=True),
                  schema='tenant')
    op.create_table('api_keys',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False,
              comment="the key's first characters, shown"),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.tenants.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['tenant.users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key_hash'),
    schema='tenant'
    )
    op.create_table('access_revocations',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_id'),
    schema='tenant'
    )
    op.create_table('customers',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('account_number', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.tenants.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'account_number', name='uq_customers_tenant_account'),
    schema='tenant'
    )
    for table in ("api_keys", "customers"):
        for statement in isolate_tenant_table("tenant", table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table('customers', schema='tenant')
    op.drop_table('access_revocations', schema='tenant')
    op.drop_table('api_keys', schema='tenant')
    op.drop_column('entitlements', 'status_reason', schema='tenant')
    op.drop_column('entitlements', 'status', schema='tenant')
    op.drop_column('entitlements', 'api_rate_per_minute', schema='tenant')
